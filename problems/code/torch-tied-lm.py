# A character-level language model with weight tying, as Karpathy's nanoGPT writes it
# (model.py: "self.transformer.wte.weight = self.lm_head.weight", Press & Wolf 2017):
# the token embedding and the output layer share one matrix, which
# model.parameters() holds once, under the embedding (the module registered first).
# Vocabulary 65 (Shakespeare's characters), width 64, context 32.
import torch
import torch.nn as nn


class TinyLM(nn.Module):
    def __init__(self, vocab_size=65, n_embd=64, block_size=32):
        super().__init__()
        self.wte = nn.Embedding(vocab_size, n_embd)
        self.ln_f = nn.LayerNorm(n_embd)
        self.lm_head = nn.Linear(n_embd, vocab_size, bias=False)
        self.wte.weight = self.lm_head.weight

    def forward(self, idx):
        x = self.wte(idx)
        x = self.ln_f(x)
        return self.lm_head(x)


model = TinyLM()
idx = torch.zeros(1, 32, dtype=torch.long)
