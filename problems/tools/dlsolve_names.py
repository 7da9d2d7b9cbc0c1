"""How dlsolve names the elements of a tensor, for the Python tools and tests that read
problem files (torch_check.py, tests/schema/validate.py, tests/diff/torch_numeric.py).
It mirrors `prefixed_names` in src/problem/values.cpp."""
import math


def array_shape(value):
    """The shape of a nested list: [[1, 2, 3], [4, 5, 6]] → [2, 3]."""
    shape = []
    while isinstance(value, list) and value:
        shape.append(len(value))
        value = value[0]
    return shape


def prefixed_names(prefix, shape):
    """Names from a prefix: 1-based indices in row-major order (w11, w12, …), and
    prefix_{i,j} once a size reaches 10."""
    wide = any(d >= 10 for d in shape)
    names = []
    for flat in range(math.prod(shape)):
        index, rest = [], flat
        for d in reversed(shape):
            index.append(rest % d + 1)
            rest //= d
        index.reverse()
        names.append(f"{prefix}_{{{','.join(map(str, index))}}}" if wide else prefix + "".join(map(str, index)))
    return names
