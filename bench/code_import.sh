#!/usr/bin/env bash
# Reading model code against reading JSON: `dlsolve params` on a generated 300-line
# Keras listing (imports, size variables, comments, model.add lines with arithmetic on
# the variables) and on the same model as JSON (written by `dlsolve convert` from that
# listing), timed with farm-bench, A/B interleaved. Target (issue 13): the code at most
# 2x the JSON's time.
#
# Usage: bench/code_import.sh [DLSOLVE]   (default build/dlsolve)
set -eu
dlsolve=${1:-build/dlsolve}
dir=$(mktemp -d)
trap 'rm -rf -- "$dir"' EXIT
/usr/bin/python3 - "$dir/model.py" <<'PY'
import sys
lines = ["# generated benchmark listing: a 300-line Keras Sequential model",
         "from keras.models import Sequential",
         "from keras.layers import Conv2D, Dense, Activation, BatchNormalization, Dropout, Flatten, MaxPooling2D",
         "",
         "patchsize = 32",
         "nb_filters = 8",
         "kernel_size = (3, 3)",
         "",
         "model = Sequential()",
         "model.add(Conv2D(nb_filters, kernel_size, input_shape=(patchsize, patchsize, 3), padding='same'))"]
i = 0
while len(lines) < 296:
    k = i % 4
    if k == 0:
        lines.append(f"# block {i // 4}: a 3x3 convolution, normalised, then ReLU")
    lines.append([f"model.add(Conv2D(nb_filters * {1 + i % 3}, kernel_size, padding='same'))",
                  "model.add(BatchNormalization())",
                  "model.add(Activation('relu'))",
                  "model.add(Dropout(0.1))  # regularisation"][k])
    i += 1
lines += ["model.add(Flatten())", "model.add(Dense(10))", "model.add(Activation('softmax'))", "model.summary()"]
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
PY
"$dlsolve" convert "$dir/model.py" > "$dir/model.json"
echo "listing: $(wc -l < "$dir/model.py") lines, $(grep -c '"type"' "$dir/model.json") layers"
farm-bench -n 30 --warmup 3 --vs "$dlsolve params $dir/model.json" -- "$dlsolve" params "$dir/model.py"
