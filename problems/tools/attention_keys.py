#!/usr/bin/python3
"""Answer keys of the attention and squeeze-and-excitation problem files, computed
with PyTorch in float64 (a second computation beside the hand derivation in each
file's note; nothing here reads dlsolve's output).

Usage: /usr/bin/python3 problems/tools/attention_keys.py

Exam 003 2d-i (Q 3×2, K 2×2, V 2×4): S = QKᵀ/√d_k, soft A = softmax(S) per row, hard
A = one-hot argmax per row (torch.argmax returns the first of equal maxima), O = AV;
the soft output is also checked against F.scaled_dot_product_attention
(F._scaled_dot_product_attention in torch 1.13).
The squeeze-and-excitation block (Hu et al., "Squeeze-and-Excitation Networks",
CVPR 2018, Fig. 3) as torchvision.ops.SqueezeExcitation builds it: global average
pooling, 1×1 Conv2d(C, C/r), ReLU, 1×1 Conv2d(C/r, C), sigmoid, channel-wise product;
parameters counted on the torch module.
"""
import math

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)

Q = torch.tensor([[2., -3.], [-4., 1.], [5., -2.]])
K = torch.tensor([[1., 4.], [0., -3.]])
V = torch.tensor([[2., 4., 3., -2.], [-4., 3., 1., -5.]])
S = Q @ K.T / math.sqrt(Q.shape[-1])
A_soft = torch.softmax(S, dim=-1)
A_hard = F.one_hot(S.argmax(dim=-1), S.shape[-1]).to(S.dtype)
print("003 2d-i scores", S.tolist())
print("003 2d-i soft weights", A_soft.tolist())
print("003 2d-i soft output", (A_soft @ V).tolist())
# torch ≥ 2.0: F.scaled_dot_product_attention; torch 1.13 (Debian's): the same function as
# F._scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, need_attn_weights, is_causal).
if hasattr(F, "scaled_dot_product_attention"):
    reference = F.scaled_dot_product_attention(Q[None], K[None], V[None])[0]
else:
    reference = F._scaled_dot_product_attention(Q[None], K[None], V[None], None, 0.0, False, False)[0][0]
assert torch.allclose(A_soft @ V, reference, rtol=1e-12, atol=0)
print("003 2d-i hard weights", A_hard.tolist())
print("003 2d-i hard output", (A_hard @ V).tolist())
print("003 2d-i MACs (QKᵀ + AV)", 3 * 2 * 2 + 3 * 2 * 4)


from torchvision.ops import SqueezeExcitation  # noqa: E402  (AdaptiveAvgPool2d(1), 1×1 Conv2d fc1, fc2)

se = SqueezeExcitation(256, 16)
print("SE C=256 r=16 params", {n: p.numel() for n, p in se.named_parameters()}, sum(p.numel() for p in se.parameters()))
print("SE output shape", list(se(torch.zeros(1, 256, 56, 56)).shape))
