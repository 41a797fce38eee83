"""``tg.linalg``: linear algebra with derivatives (the rules live in ``tapegrad/ops/linalg.py``).

    tg.linalg.inv, det, slogdet, solve, cholesky, eigh, eigvalsh, norm,
    matmul (with transpose_a/transpose_b), matrix_transpose, trace (of the last two axes),
    einsum, tensordot, outer
"""

from tapegrad.ops.linalg import (
    EighResult,
    SlogdetResult,
    cholesky,
    det,
    eigh,
    eigvalsh,
    einsum,
    inv,
    matrix_transpose,
    norm,
    outer,
    slogdet,
    solve,
    tensordot,
)
from tapegrad.ops.linalg import linalg_matmul as matmul
from tapegrad.ops.linalg import linalg_trace as trace

__all__ = [
    "EighResult",
    "SlogdetResult",
    "cholesky",
    "det",
    "eigh",
    "eigvalsh",
    "einsum",
    "inv",
    "matmul",
    "matrix_transpose",
    "norm",
    "outer",
    "slogdet",
    "solve",
    "tensordot",
    "trace",
]
