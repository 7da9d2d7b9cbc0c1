"""--style reproduces the frameworks' own published summaries line for line.

Each case: a problem in problems/, a style, and the published output copied here
(the problem's "source" names where it was published):
  keras3-mnist-convnet.txt   keras.io examples/vision/mnist_convnet (Keras 3)
  keras3-toy-resnet.txt      keras.io guides/functional_api, toy ResNet (Keras 3, Connected to)
  keras2-encoder.txt         keras-io guides/md/functional_api.md, encoder (tf.keras 2)
  torchinfo-single-input.txt TylerYep/torchinfo tests/test_output/single_input.out
  torchinfo-training-mode.txt TylerYep/torchinfo tests/test_output/training_mode.out
  torchinfo-jit-linear-model.txt  TylerYep/torchinfo tests/test_output/jit.out, its first
      table: LinearModel, an nn.Sequential (depth-idx tree, container rows)
  torchinfo-cnn-module-list.txt   TylerYep/torchinfo tests/test_output/cnn_module_list.out,
      its first table: an nn.ModuleList of ConvLayerA blocks, three levels deep
(the torchinfo files as published at TylerYep/torchinfo commit 5c4164f), and torchinfo's
depth (hidden rows, a container's summed count at the deepest level shown), as torchinfo
itself prints it: run from that commit's torchinfo/ and tests/fixtures/models.py with
Debian's python3-torch 1.13 (summary(..., depth=N, verbose=0)):
  torchinfo-cnn-module-list-depth0.txt  CNNModuleList(ConvLayerA), input_size=[1, 1, 10], depth=0
  torchinfo-cnn-module-list-depth2.txt  the same, depth=2
  torchinfo-jit-linear-model-depth1.txt LinearModel(), input_data=torch.randn(64, 128), depth=1
and exam 004's Keras 2 table (shared/seeds/004, EXERCISE 09-02-2022, as OCR'd: spacing
lost, so rows are compared by name, shape and count, totals exactly).
Usage: run.py DLSOLVE [--self-test]
"""
import difflib
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
CASES = [
    ("ref-keras-mnist-convnet.json", "keras", "keras3-mnist-convnet.txt"),
    ("ref-keras-functional-toy-resnet.json", "keras", "keras3-toy-resnet.txt"),
    ("ref-keras2-functional-encoder.json", "keras2", "keras2-encoder.txt"),
    ("ref-torchinfo-single-input-net.json", "torchinfo", "torchinfo-single-input.txt"),
    ("ref-torchinfo-linear.json", "torchinfo", "torchinfo-training-mode.txt"),
    ("ref-torchinfo-linear-model.json", "torchinfo", "torchinfo-jit-linear-model.txt"),
    ("ref-torchinfo-cnn-module-list.json", "torchinfo", "torchinfo-cnn-module-list.txt"),
    ("ref-torchinfo-cnn-module-list.json", "torchinfo --depth 0", "torchinfo-cnn-module-list-depth0.txt"),
    ("ref-torchinfo-cnn-module-list.json", "torchinfo --depth 2", "torchinfo-cnn-module-list-depth2.txt"),
    ("ref-torchinfo-linear-model.json", "torchinfo --depth 1", "torchinfo-jit-linear-model-depth1.txt"),
]


def run(dlsolve, *args):
    return subprocess.run([dlsolve, *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout


def exam_004(table, published):
    """Rows of the exam's table agree with dlsolve's Keras 2 rows; totals exactly."""
    errors = []
    lines = table.splitlines()
    for row in published.splitlines():
        if row.startswith(("Total", "Trainable", "Non-trainable")):
            if row not in lines:
                errors.append(f"missing total line {row!r}")
            continue
        name = row.split()[0]
        name = {"dropout_8": "dropout"}.get(name, name)  # a session counter in the exam (see the problem's note)
        shape = re.search(r"\(None[^)]*\)", row).group(0)
        count = int(row.split("=")[-1] if "=" in row else row.split()[-1])
        mine = [l for l in lines if l.startswith(name + " (")]
        if not mine or shape not in mine[0] or mine[0].split()[-1] != str(count):
            errors.append(f"row {row!r}: dlsolve printed {mine[0] if mine else 'nothing'!r}")
    return errors


def main():
    dlsolve = sys.argv[1]
    self_test = "--self-test" in sys.argv
    failures = 0
    for problem, style, published in CASES:
        actual = run(dlsolve, "params", "--style", *style.split(), f"problems/{problem}")
        expected = (HERE / published).read_text()
        if self_test:  # a planted change of one figure must be caught
            expected = expected.replace("Total params", "Total params!", 1)
        if actual != expected:
            failures += 1
            if not self_test:
                print(f"FAIL {problem} --style {style} vs {published}")
                sys.stdout.writelines(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True)))
        else:
            print(f"ok   {problem} --style {style} = {published}")
    table = run(dlsolve, "params", "--style", "keras2", "problems/004-2022-02-09-segmentation.json")
    published = (HERE / "exam004-segmentation-keras2.txt").read_text()
    if self_test:
        published = published.replace("=4640", "=4641")
    errors = exam_004(table, published)
    for e in errors:
        print("FAIL exam 004:", e) if not self_test else None
    failures += bool(errors)
    if not errors:
        print("ok   exam 004 (09-02-2022) Keras 2 table")
    if self_test:
        expected_failures = len(CASES) + 1
        print(f"self-test: {failures} of {expected_failures} planted errors caught")
        return 0 if failures == expected_failures else 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
