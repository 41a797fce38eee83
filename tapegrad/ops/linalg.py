"""Linear algebra: products (matmul, dot, tensordot, einsum, ...), trace, and the matrix functions
of ``tg.linalg`` (inv, det, slogdet, solve, cholesky, eigh, norm).

Products are linear in each argument, so they are declared with ``multilinear`` and their JVPs are
the op itself applied to a tangent. The matrix functions carry explicit VJPs and JVPs written in
tapegrad ops (matmul, inv, solve, ...), so every rule is differentiable again (higher order).

Conventions (documented next to each rule):
  * cholesky and eigh read one triangle of a symmetric input; their derivatives are those of
    ``A -> f((A + A^T) / 2)``: the gradient is symmetric and tangents are symmetrized first
    (as in TensorFlow and JAX).
  * eigh assumes distinct eigenvalues; for exactly equal eigenvalues the eigenvector coupling term
    is dropped (taken as 0), so gradients that depend on the eigenvalues alone stay finite.
  * det's gradient is the cofactor matrix: det(A) A^-T at well-conditioned matrices (as in
    TensorFlow), else from the SVD, exact to third order at singular matrices of any rank (see det).
    slogdet's gradient is A^-T, so it needs a non-singular matrix (log|det| is -inf at a singular one).
  * the 2-norm's gradient at 0 is taken as 0 (a subgradient), not nan (reduce.norm's primitive).
"""

from __future__ import annotations

import string
from collections import Counter
from typing import Any, NamedTuple

import numpy as np

from tapegrad import _backend
from tapegrad._primitive import (
    PerArgument,
    defrule,
    linear,
    multilinear,
    nondifferentiable,
    real_for_real,
    unbroadcast,
)
from tapegrad._tensor import Tensor, ops
from tapegrad.batching import Stacked, along_axes, last_axes, lift, looped
from tapegrad.ops.reduce import as_axis_param, normalize_axis
from tapegrad.ops.reduce import norm as _norm2
from tapegrad.ops.reduce import shape_of as _shape

# fmt: off
__all__ = [
    "matmul", "dot", "vdot", "inner", "outer", "tensordot", "einsum", "trace", "matrix_transpose",
]
# fmt: on


def _ndim(x: Any) -> int:
    return len(_shape(x))


# ---- matrix transpose (of the last two axes) ------------------------------------------------------
def matrix_transpose(x: Any) -> Any:
    """Swap the last two axes (a batch of matrices transposed); works on Tensors and plain arrays."""
    nd = x.ndim if hasattr(x, "ndim") else _ndim(x)
    if nd < 2:
        raise ValueError(f"matrix_transpose needs at least 2 dimensions, got shape {_shape(x)}")
    if nd == 2:
        return ops.transpose(x)
    return ops.transpose(x, tuple(range(nd - 2)) + (nd - 1, nd - 2))


_swap = matrix_transpose


# ---- matmul: the hot path --------------------------------------------------------------------------
def _drop_last(x: Any) -> Any:
    return ops.reshape(x, x.shape[:-1])


def _matmul_vjp_a(g, _ans, a, b):
    an, bn = a.ndim, b.ndim
    if an == 2 and bn == 2:
        r = matmul(g, _swap(b))
    elif bn == 1:
        r = g * b if an == 1 else ops.expand_dims(g, -1) * b  # g: a scalar, or a.shape[:-1]
    elif an == 1:
        r = matmul(b, g) if bn == 2 else unbroadcast(_drop_last(matmul(b, ops.expand_dims(g, -1))), a)
    else:
        r = unbroadcast(matmul(g, _swap(b)), a)
    return r if r.dtype is a.dtype else real_for_real(r, a)


def _matmul_vjp_b(g, _ans, a, b):
    an, bn = a.ndim, b.ndim
    if an == 2 and bn == 2:
        r = matmul(_swap(a), g)
    elif an == 1:
        r = g * a if bn == 1 else ops.reshape(a, (-1, 1)) * ops.expand_dims(g, -2)  # g: b.shape[:-2] + (m,)
    elif bn == 1:
        if an == 2:
            r = matmul(g, a)
        else:
            n = a.shape[-1]
            r = matmul(ops.reshape(g, (-1,)), ops.reshape(a, (-1, n)))  # sum over batch and rows at once
    else:
        r = unbroadcast(matmul(_swap(a), g), b)
    return r if r.dtype is b.dtype else real_for_real(r, b)


def _matmul_batch(prim, args, stacked, params):
    """A stack of vectors next to a plain matrix is one product; otherwise a stacked vector operand
    becomes a matrix of one row (column), so that the stack axis is a batch axis, and stacks are
    lifted to a common number of batch axes."""
    (a, b), (sa, sb) = args, stacked
    if stacked == (True, False) and a.ndim == 2 and b.ndim <= 2:  # rows of vectors: one product
        return prim(a, b)
    if stacked == (False, True) and b.ndim == 2 and a.ndim <= 2:
        return prim(b, a if a.ndim == 1 else _swap(a))
    row, column = sa and a.ndim == 2, sb and b.ndim == 2
    a = ops.expand_dims(a, 1) if row else a
    b = ops.expand_dims(b, -1) if column else b
    la, lb = a.ndim - sa, b.ndim - sb
    lead = max(la - min(la, 2), lb - min(lb, 2))
    out = prim(lift(a, lead + min(la, 2)) if sa else a, lift(b, lead + min(lb, 2)) if sb else b)
    if row:  # the one-row axis: next to last, or last when b is a vector
        out = ops.reshape(out, (*out.shape[:-2], out.shape[-1]) if b.ndim >= 2 else out.shape[:-1])
    if column:
        out = ops.reshape(out, out.shape[:-1])
    return out


# Batched VJPs (g with a leading stack axis) for operands of one or two axes, written out: the same
# values as the rules above on Stacked cotangents, without a Stacked dispatch per product (about 50
# Python calls each). Kept because it measurably wins (callgrind, instructions per call): W5 by
# tape.jacobian 2,487k -> 2,390k, a Jacobian through ten 100x100 matmuls 7,096k -> 6,634k (round-3
# base 6,572k). More axes: None, the general route.
def _matmul_batched_vjp_a(g, _ans, a, b):
    if a.ndim > 2 or b.ndim > 2:
        return None
    r = ops.expand_dims(g, -1) * b if b.ndim == 1 else matmul(g, _swap(b))
    return r if r.dtype is a.dtype else real_for_real(r, a)


def _matmul_batched_vjp_b(g, _ans, a, b):
    if a.ndim > 2 or b.ndim > 2:
        return None
    if a.ndim == 1:
        r = ops.reshape(a, (-1, 1)) * ops.expand_dims(g, -2) if b.ndim == 2 else ops.expand_dims(g, -1) * a
    else:
        r = matmul(g, a) if b.ndim == 1 else matmul(_swap(a), g)
    return r if r.dtype is b.dtype else real_for_real(r, b)


# The impl is exactly np.matmul (a ufunc), so np.matmul(array, tensor) dispatches here by itself.
matmul = multilinear(
    np.matmul,
    _matmul_vjp_a,
    _matmul_vjp_b,
    name="matmul",
    batch=_matmul_batch,
    batched_vjps=(_matmul_batched_vjp_a, _matmul_batched_vjp_b),
)


# ---- tensordot ---------------------------------------------------------------------------------------
def _free_axes(ndim: int, axes: tuple) -> tuple:
    return tuple(i for i in range(ndim) if i not in axes)


def _inverse_perm(perm: tuple) -> tuple | None:
    if perm == tuple(range(len(perm))):
        return None
    return tuple(int(i) for i in np.argsort(perm))


def _tensordot_vjp_a(g, _ans, _a, b, axes):
    a_axes, b_axes = axes
    a_free = _free_axes(_a.ndim, a_axes)
    b_free = _free_axes(b.ndim, b_axes)
    na = len(a_free)
    ga = _tensordot_p(g, b, axes=(tuple(range(na, na + len(b_free))), b_free))
    # ga's axes: a_free, then the a axes paired with b's contracted axes in b's order
    inv = _inverse_perm(a_free + tuple(a_axes[b_axes.index(j)] for j in sorted(b_axes)))
    ga = ga if inv is None else ops.transpose(ga, inv)
    return ga if ga.dtype is _a.dtype else real_for_real(ga, _a)


def _tensordot_vjp_b(g, _ans, a, _b, axes):
    a_axes, b_axes = axes
    a_free = _free_axes(a.ndim, a_axes)
    gb = _tensordot_p(a, g, axes=(a_free, tuple(range(len(a_free)))))
    # gb's axes: the b axes paired with a's contracted axes in a's order, then b_free
    inv = _inverse_perm(tuple(b_axes[a_axes.index(i)] for i in sorted(a_axes)) + _free_axes(_b.ndim, b_axes))
    gb = gb if inv is None else ops.transpose(gb, inv)
    return gb if gb.dtype is _b.dtype else real_for_real(gb, _b)


def _tensordot_batch(prim, args, stacked, params):
    """The stack axis joins the free axes of its operand (moved in front when that is b)."""
    (a, b), (a_axes, b_axes) = args, params["axes"]
    if stacked == (True, False):
        return prim(a, b, axes=(tuple(1 + i for i in a_axes), b_axes))
    if stacked == (False, True):
        out = prim(a, b, axes=(a_axes, tuple(1 + j for j in b_axes)))  # (*a_free, m, *b_free)
        na = a.ndim - len(a_axes)
        return out if na == 0 else ops.transpose(out, (na, *range(na), *range(na + 1, out.ndim)))
    return looped(prim, args, stacked, params)


_tensordot_p = multilinear(
    lambda a, b, axes: np.tensordot(a, b, axes=axes),
    _tensordot_vjp_a,
    _tensordot_vjp_b,
    name="tensordot",
    batch=_tensordot_batch,
)


def _axis_list(axes: Any, ndim: int, which: str) -> tuple[int, ...]:
    if isinstance(axes, (int, np.integer)):
        axes = [axes]
    out = []
    for ax in axes:
        ax = int(ax)
        if not -ndim <= ax < ndim:
            raise ValueError(f"tensordot: axis {ax} is out of range for argument {which} with {ndim} dimensions")
        out.append(ax % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"tensordot: repeated axis in {list(axes)} for argument {which}")
    return tuple(out)


def tensordot(a: Any, b: Any, axes: Any = 2) -> Tensor:
    """Sum products over the given axes (np.tensordot / tf.tensordot).

    ``axes`` is an int N (the last N axes of ``a`` with the first N of ``b``) or a pair of axis lists.
    """
    sa, sb = _shape(a), _shape(b)
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        if not 0 <= n <= min(len(sa), len(sb)):
            raise ValueError(f"tensordot: axes={n} is out of range for shapes {sa} and {sb}")
        a_axes, b_axes = tuple(range(len(sa) - n, len(sa))), tuple(range(n))
    else:
        try:
            axes_a, axes_b = axes
        except (TypeError, ValueError):
            raise ValueError(f"tensordot: axes must be an int or a pair of axis lists, got {axes!r}") from None
        a_axes, b_axes = _axis_list(axes_a, len(sa), "a"), _axis_list(axes_b, len(sb), "b")
        if len(a_axes) != len(b_axes):
            raise ValueError(f"tensordot: {len(a_axes)} axes for a but {len(b_axes)} for b; give one per pair")
    for i, j in zip(a_axes, b_axes, strict=True):
        if sa[i] != sb[j]:
            raise ValueError(
                f"tensordot: axis {i} of a (size {sa[i]}) and axis {j} of b (size {sb[j]}) differ; "
                f"shapes are {sa} and {sb}"
            )
    return _tensordot_p(a, b, axes=(a_axes, b_axes))


# ---- dot, vdot, inner, outer (compositions of matmul, tensordot, multiply) ---------------------------
def dot(a: Any, b: Any) -> Tensor:
    """np.dot: a product of scalars, matmul for 1-D/2-D arguments, else a sum over a's last axis and
    b's second-to-last axis."""
    nda, ndb = _ndim(a), _ndim(b)
    if nda == 0 or ndb == 0:
        return ops.multiply(a, b)
    if nda <= 2 and ndb <= 2:
        return matmul(a, b)
    return tensordot(a, b, axes=((nda - 1,), (max(ndb - 2, 0),)))


def vdot(a: Any, b: Any) -> Tensor:
    """np.vdot: the dot product of the flattened arrays (a scalar), the first one conjugated."""
    sa, sb = _shape(a), _shape(b)
    if int(np.prod(sa)) != int(np.prod(sb)):
        raise ValueError(f"vdot: arguments have {int(np.prod(sa))} and {int(np.prod(sb))} elements; they must match")
    if np.iscomplexobj(a._value if isinstance(a, Tensor) else np.asarray(a)):
        a = ops.conj(a)
    return matmul(ops.reshape(a, (-1,)), ops.reshape(b, (-1,)))


def inner(a: Any, b: Any) -> Tensor:
    """np.inner: sum of products over the last axes (a product for scalars)."""
    nda, ndb = _ndim(a), _ndim(b)
    if nda == 0 or ndb == 0:
        return ops.multiply(a, b)
    return tensordot(a, b, axes=((nda - 1,), (ndb - 1,)))


def outer(a: Any, b: Any) -> Tensor:
    """np.outer: the outer product of the flattened arguments, shape (a.size, b.size)."""
    return ops.multiply(ops.reshape(a, (-1, 1)), ops.reshape(b, (1, -1)))


# ---- einsum ------------------------------------------------------------------------------------------
_LETTERS = string.ascii_letters


def _einsum_impl(*operands, subscripts):
    big = len(operands) > 2 or any(np.size(x) > 4096 for x in operands)
    return np.einsum(subscripts, *operands, optimize=big)


def _split_subscripts(subscripts: str) -> tuple[list[str], str]:
    lhs, out = subscripts.split("->")
    return lhs.split(","), out


def _einsum_vjp(i, g, ans, *operands, subscripts):
    """Cotangent of operand i: einsum of g with the other operands into operand i's subscripts.

    A letter repeated in operand i ('ii') becomes a fresh letter tied by an identity matrix
    (the cotangent lives on the diagonal); a letter that only operand i has (summed out) is
    supplied by a vector of ones (the cotangent is broadcast along it).
    """
    ins, out = _split_subscripts(subscripts)
    sizes: dict[str, int] = {}
    for spec, x in zip(ins, operands, strict=True):
        for c, n in zip(spec, x.shape, strict=True):
            sizes[c] = n
    fresh = iter(c for c in _LETTERS if c not in subscripts)
    specs, args = [out], [g]
    for j, (spec, x) in enumerate(zip(ins, operands, strict=True)):
        if j != i:
            specs.append(spec)
            args.append(x)
    dtype = g.dtype
    result, seen = [], []
    for c in ins[i]:
        if c in seen:
            d = next(fresh)
            result.append(d)
            specs.append(c + d)
            args.append(np.eye(sizes[c], dtype=dtype))
        else:
            seen.append(c)
            result.append(c)
    present = set("".join(specs))
    for c in seen:
        if c not in present:
            specs.append(c)
            args.append(np.ones(sizes[c], dtype=dtype))
    r = _einsum_p(*args, subscripts=",".join(specs) + "->" + "".join(result))
    x = operands[i]
    return r if r.dtype is x.dtype else real_for_real(r, x)


def _einsum_jvp(i, t, ans, *operands, subscripts):
    return _einsum_p(*operands[:i], t, *operands[i + 1 :], subscripts=subscripts)


# Batching: the stack axis gets a letter of its own, leading each stacked operand and the result.
# The subscripts reaching the primitive are explicit with every '...' spelled out (see einsum
# below), so implicit outputs and ellipses need nothing more here.
def _einsum_batch(prim, args, stacked, params):
    subscripts = params["subscripts"]
    letter = next((c for c in _LETTERS if c not in subscripts), None)
    if letter is None:  # all 52 letters taken: once per row (correct, just slower)
        return looped(prim, args, stacked, params)
    ins, out = _split_subscripts(subscripts)
    ins = [letter + spec if s else spec for spec, s in zip(ins, stacked, strict=True)]
    return prim(*args, subscripts=",".join(ins) + "->" + letter + out)


_einsum_p = defrule(
    _einsum_impl,
    vjps=PerArgument(_einsum_vjp),
    jvps=PerArgument(_einsum_jvp),
    name="einsum",
    complex=True,
    batch=_einsum_batch,
    taylor="multilinear",
)


def _sublist_to_string(sub: Any) -> str:
    out = []
    for s in sub:
        if s is Ellipsis:
            out.append("...")
        else:
            k = int(s)
            if not 0 <= k < len(_LETTERS):
                raise ValueError(f"einsum: subscript {k} in a sublist must be in [0, 52)")
            out.append(_LETTERS[k])
    return "".join(out)


def _einsum_arguments(args: tuple) -> tuple[str, list]:
    if not args:
        raise TypeError("einsum() needs subscripts and at least one operand")
    if isinstance(args[0], str):
        return args[0], list(args[1:])
    # sublist form: einsum(op0, sublist0, op1, sublist1, ..., [sublistout])
    operands = list(args[0::2])
    subs = list(args[1::2])
    out = None
    if len(args) % 2 == 1:
        out = operands.pop()
    s = ",".join(_sublist_to_string(sub) for sub in subs)
    if out is not None:
        s += "->" + _sublist_to_string(out)
    return s, operands


def _normalize_einsum(subscripts: str, shapes: list[tuple]) -> tuple[list[str], str]:
    """Explicit subscripts with every ellipsis spelled out as letters (NumPy's rules)."""
    s = subscripts.replace(" ", "")
    if s.count("->") > 1:
        raise ValueError(f"einsum: subscripts {subscripts!r} have more than one '->'")
    lhs, out = s.split("->") if "->" in s else (s, None)
    ins = lhs.split(",")
    if len(ins) != len(shapes):
        raise ValueError(f"einsum: subscripts {subscripts!r} name {len(ins)} operands but {len(shapes)} were given")
    for spec in ins + ([out] if out is not None else []):
        rest = spec.replace("...", "", 1)
        if not all(c in _LETTERS for c in rest):
            raise ValueError(
                f"einsum: invalid subscripts {spec!r} in {subscripts!r}; use letters a-z, A-Z and at most one '...'"
            )
    ell_nd = 0
    for k, (spec, shape) in enumerate(zip(ins, shapes, strict=True)):
        labels = len(spec.replace("...", ""))
        if "..." in spec:
            if labels > len(shape):
                raise ValueError(f"einsum: operand {k} has {len(shape)} dimensions, fewer than subscripts {spec!r}")
            ell_nd = max(ell_nd, len(shape) - labels)
        elif labels != len(shape):
            raise ValueError(
                f"einsum: operand {k} has shape {shape} ({len(shape)} dimensions) but subscripts {spec!r} "
                f"name {labels}; use '...' for any extra leading dimensions"
            )
    used = set(s)
    fresh = [c for c in _LETTERS if c not in used]
    if ell_nd > len(fresh):
        raise ValueError("einsum: too many dimensions under '...' (52 subscript letters at most)")
    ell = "".join(fresh[:ell_nd])
    new_ins = []
    for spec, shape in zip(ins, shapes, strict=True):
        if "..." in spec:
            nd = len(shape) - len(spec.replace("...", ""))
            spec = spec.replace("...", ell[ell_nd - nd :])
        new_ins.append(spec)
    if out is None:
        counts = Counter(c for spec in ins for c in spec if c != ".")
        out = ell + "".join(sorted(c for c, k in counts.items() if k == 1))
    else:
        if ell_nd and "..." not in out:
            raise ValueError(
                f"einsum: operands have dimensions under '...' but the output {out!r} has no '...' "
                "(NumPy requires it too); put '...' in the output and sum those dimensions afterwards"
            )
        out = out.replace("...", ell)
        if len(set(out)) != len(out):
            raise ValueError(f"einsum: output subscripts {out!r} repeat a letter; each output letter must be unique")
        missing = set(out) - set("".join(new_ins))
        if missing:
            raise ValueError(f"einsum: output letters {sorted(missing)} do not appear in any operand's subscripts")
    return new_ins, out


def einsum(*args: Any, optimize: Any = None, **kwargs: Any) -> Tensor:
    """Einstein summation, as np.einsum / tf.einsum.

    Accepts everything NumPy does: explicit ('ij,jk->ik') or implicit ('ij,jk') output, '...'
    broadcasting, repeated letters (diagonals such as 'ii->i' and traces 'ii'), any number of
    operands, and NumPy's sublist form ``einsum(a, [0, 1], b, [1, 2], [0, 2])``. The contraction
    order is chosen automatically (``optimize`` is accepted and ignored).
    """
    if kwargs:
        raise TypeError(f"einsum() got unsupported keyword arguments {sorted(kwargs)}")
    subscripts, operands = _einsum_arguments(args)
    if not operands:
        raise ValueError("einsum() needs at least one operand")
    shapes = [_shape(x) for x in operands]
    ins, out = _normalize_einsum(subscripts, shapes)
    sizes: dict[str, int] = {}
    for k, (spec, shape) in enumerate(zip(ins, shapes, strict=True)):
        own: dict[str, int] = {}
        for c, n in zip(spec, shape, strict=True):
            if c in own and own[c] != n:
                raise ValueError(f"einsum: letter {c!r} repeats in operand {k} with different sizes {own[c]} and {n}")
            own[c] = n
            m = sizes.get(c, 1)
            if n != 1 and m != 1 and n != m:
                raise ValueError(
                    f"einsum: letter {c!r} has size {m} in one operand and {n} in operand {k} ({subscripts!r})"
                )
            sizes[c] = max(m, n)
    operands = list(operands)
    for k, (spec, shape) in enumerate(zip(ins, shapes, strict=True)):
        full = tuple(sizes[c] for c in spec)
        if full != tuple(shape):  # a size-1 dimension broadcasts: make it explicit (its VJP sums it back)
            if len(set(spec)) != len(spec):
                raise ValueError(f"einsum: operand {k} repeats a letter and also needs broadcasting; not supported")
            operands[k] = ops.broadcast_to(operands[k], full)
    return _einsum_p(*operands, subscripts=",".join(ins) + "->" + out)


# ---- trace -------------------------------------------------------------------------------------------
def _trace(x, offset=0, axis1=0, axis2=1):
    return np.trace(x, offset=offset, axis1=axis1, axis2=axis2)


def _trace_vjp(g, _ans, _x, offset=0, axis1=0, axis2=1):
    """g spread onto the (offset) diagonal of axes ``axis1``, ``axis2`` of ``x``'s shape."""
    shape = _x.shape
    eye = np.eye(shape[axis1], shape[axis2], k=offset, dtype=_backend.numpy_dtype(_x.dtype))
    if axis1 > axis2:
        eye = eye.T
    mask_shape = [1] * len(shape)
    mask_shape[axis1], mask_shape[axis2] = shape[axis1], shape[axis2]
    g_shape = list(shape)
    g_shape[axis1] = g_shape[axis2] = 1
    return ops.multiply(ops.reshape(g, tuple(g_shape)), eye.reshape(mask_shape))  # any array library


_trace_p = linear(_trace, _trace_vjp, name="trace", batch=along_axes)


def trace(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """Sum along a diagonal (np.trace): of axes ``axis1`` and ``axis2``, shifted by ``offset``."""
    nd = _ndim(x)
    if nd < 2:
        raise ValueError(f"trace needs at least 2 dimensions, got shape {_shape(x)}")
    a1, a2 = normalize_axis(axis1, nd), normalize_axis(axis2, nd)
    if a1 == a2:
        raise ValueError(f"trace: axis1 and axis2 must differ, both are {a1[0]}")
    return _trace_p(x, offset=int(offset), axis1=a1[0], axis2=a2[0])


# ---- matrix functions (tg.linalg) ------------------------------------------------------------------
def _check_square(x: Any, name: str) -> None:
    shape = _shape(x)
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise ValueError(f"tg.linalg.{name} needs square matrices, shaped (..., n, n); got shape {shape}")


def _batch_scalar(c: Any) -> Any:
    """A (batch of) scalar(s) reshaped to broadcast against a (batch of) matrices."""
    return ops.reshape(c, tuple(c.shape) + (1, 1))


def _inv_vjp(g, ans, _a):
    ans_t = _swap(ans)
    return -matmul(ans_t, matmul(g, ans_t))


_inv_p = defrule(
    np.linalg.inv,
    vjps=(_inv_vjp,),
    jvps=(lambda t, ans, _a: -matmul(ans, matmul(t, ans)),),
    name="linalg.inv",
    complex=True,
    batch=last_axes(2),
)


def inv(a: Any) -> Tensor:
    """The inverse of a square matrix (or of each matrix of a batch shaped (..., n, n))."""
    _check_square(a, "inv")
    return _inv_p(a)


# ---- det: its derivative is the cofactor matrix, which exists at singular matrices too ----------------
# d det(A) = tr(adj(A) dA), so det's gradient (in the table's bilinear pairing) is the cofactor matrix
# C = adj(A)^T. Where det(A) is a normal nonzero float it is det(A) A^-T, the inverse rule as before
# (as TensorFlow); np.linalg.det and np.linalg.inv factor A by the same LU, so their product is the
# adjugate of a matrix within rounding of A (a polynomial of A, so accurate however ill-conditioned A
# is). Where det(A) is 0 (A singular, or det underflowed) or not normal (subnormal, inf, nan), the
# inverse is missing or the product loses digits, and where A is ill-conditioned the inverse rule's
# higher derivatives lose digits (_well_conditioned): there C comes from the SVD A = U S V^H:
#   det(A + E) = det(U) det(V^H) det(S + U^H E V),
# so every derivative of det at A is one of det at the diagonal S in the direction U^H E V, with no
# division by a singular value:
#   C = det(U) det(V^H) conj(U diag(pi) V^H),   pi_i = prod_{k != i} s_k,
#   d C[E] = det(U) det(V^H) conj(U) M conj(V^H),   E~ = U^H E V,
#   M_jj = sum_{i != j} p_ij E~_ii,  M_ji = -p_ij E~_ij (i != j),   p_ij = prod_{k != i, j} s_k,
# exact at every rank (any SVD of A gives the same numbers). The second derivative is the symmetric
# bilinear form <dC[E], F> = <dC[F], E>, so dC is its own transpose; the third (_det_third) is built
# the same way from the products of all but three singular values, so det is exact to third order at
# singular matrices. The fourth derivative there is refused (0 for n <= 3, where det is cubic).
def _all_but_one_products(s: np.ndarray) -> np.ndarray:
    """prod_{k != i} s_k along the last axis, by prefix and suffix products (no division, so zeros are fine)."""
    one = np.ones_like(s[..., :1])
    before = np.cumprod(np.concatenate([one, s[..., :-1]], axis=-1), axis=-1)
    after = np.cumprod(np.concatenate([one, s[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    return before * after


def _all_but_two_products(s: np.ndarray) -> np.ndarray:
    """P[..., i, j] = prod_{k != i, j} s_k for i != j, 0 on the diagonal (no division)."""
    n = s.shape[-1]
    rows = np.where(np.eye(n, dtype=bool), 1, s[..., None, :])  # row i: s with s_i replaced by 1
    return np.where(np.eye(n, dtype=bool), 0, _all_but_one_products(rows))


def _svd_frame(a: np.ndarray) -> tuple:
    """(U, s, V^H, det(U) det(V^H)) of a batch of square matrices; the last is nan for a matrix holding
    inf or nan (whose derivatives are nan, as the inverse rule's), whose SVD LAPACK refuses."""
    finite = np.isfinite(a).all(axis=(-2, -1))
    if not finite.all():
        u, s, vh, d = _svd_frame(np.where(finite[..., None, None], a, 0))
        return u, s, vh, np.where(finite, d, np.nan)
    u, s, vh = np.linalg.svd(a)
    return u, s, vh, np.linalg.det(u) * np.linalg.det(vh)


def _conj_np(x: np.ndarray) -> np.ndarray:
    return np.conj(x) if x.dtype.kind == "c" else x


def _det_cofactors(a):
    """The cofactor matrix adj(A)^T (det's gradient), exact at singular matrices: by the SVD."""
    u, s, vh, d = _svd_frame(a)
    return d[..., None, None] * _conj_np(np.matmul(u * _all_but_one_products(s)[..., None, :], vh))


def _det_hessian(a, e):
    """The derivative of the cofactor matrix of ``a`` in the direction ``e`` (det's second derivative)."""
    u, s, vh, d = _svd_frame(a)
    p = _all_but_two_products(s)
    et = np.matmul(np.swapaxes(_conj_np(u), -1, -2), np.matmul(e, np.swapaxes(_conj_np(vh), -1, -2)))
    diag = np.diagonal(et, axis1=-2, axis2=-1)
    m = np.eye(s.shape[-1], dtype=s.dtype) * np.matmul(p, diag[..., None]) - p * np.swapaxes(et, -1, -2)
    return d[..., None, None] * np.matmul(_conj_np(u), np.matmul(m, _conj_np(vh)))


def _all_but_three_products(s: np.ndarray) -> np.ndarray:
    """P[..., a, b, c] = prod_{k not in {a, b, c}} s_k for distinct a, b, c; 0 elsewhere (no division)."""
    n = s.shape[-1]
    eye = np.eye(n, dtype=bool)
    rows = np.where(eye, 1, s[..., None, :])  # row a: s with s_a replaced by 1
    p = _all_but_two_products(rows)  # [..., a, b, c]: prod over k not in {b, c} of row a
    return np.where(eye[:, :, None] | eye[:, None, :], 0, p)


def _in_frame(u: np.ndarray, vh: np.ndarray, x: np.ndarray) -> np.ndarray:
    """U^H X V: a direction in the frame of the SVD."""
    return np.matmul(np.swapaxes(_conj_np(u), -1, -2), np.matmul(x, np.swapaxes(_conj_np(vh), -1, -2)))


def _det_third(a, e, f):
    """The gradient of det's third derivative D^3 det(A)[E, F, .], exact at every rank.

    D^3 det(S)[X, Y, Z] = sum over distinct a, b, c of p_abc sum_pi sgn(pi) X_a,pi(a) Y_b,pi(b) Z_c,pi(c)
    (pi the permutations of {a, b, c}, p_abc the products of the other singular values); N below is
    its gradient in Z, taken back from the frame as the cofactors' derivative is."""
    u, s, vh, d = _svd_frame(a)
    p = _all_but_three_products(s)
    x, y = _in_frame(u, vh, e), _in_frame(u, vh, f)
    dx, dy = np.diagonal(x, axis1=-2, axis2=-1), np.diagonal(y, axis1=-2, axis2=-1)
    diag = np.einsum("...abc,...a,...b->...c", p, dx, dy) - np.einsum("...abc,...ab,...ba->...c", p, x, y)
    n = -np.swapaxes(x, -1, -2) * np.einsum("...dbc,...b->...cd", p, dy)
    n = n - np.swapaxes(y, -1, -2) * np.einsum("...adc,...a->...cd", p, dx)
    n = n + np.einsum("...dbc,...db,...bc->...cd", p, x, y) + np.einsum("...adc,...ac,...da->...cd", p, x, y)
    n = n + np.eye(s.shape[-1], dtype=s.dtype) * diag[..., None, :]
    return d[..., None, None] * np.matmul(_conj_np(u), np.matmul(n, _conj_np(vh)))


def _fourth_derivative(a: Any, like: Any) -> Any:
    """det's fourth derivative: 0 for n <= 3 (det is a polynomial of degree n), refused otherwise."""
    if a.shape[-1] > 3:
        raise np.linalg.LinAlgError(
            "the fourth derivative of det at a singular or ill-conditioned matrix (or of a batch holding one) is "
            "not available: tapegrad's det is exact to third order there (through the SVD); differentiate a fourth "
            "time at well-conditioned matrices, where the rule uses the inverse"
        )
    return ops.zeros_like(like)


def _from(r: Any, x: Any) -> Any:
    """A cotangent for ``x``: summed over broadcast axes, real for a real ``x``."""
    return real_for_real(unbroadcast(r, x), x)


# D^3 det[E, F, G] is symmetric in its directions: each rule is the primitive with one of them swapped in.
_det_third_p = defrule(
    _det_third,
    vjps=(
        lambda g, _ans, a, _e, _f: _fourth_derivative(a, a),
        lambda g, _ans, a, e, f: _from(_det_third_p(a, f, g), e),
        lambda g, _ans, a, e, f: _from(_det_third_p(a, e, g), f),
    ),
    jvps=(
        lambda t, ans, a, _e, _f: _fourth_derivative(a, ans),
        lambda t, _ans, a, _e, f: _det_third_p(a, t, f),
        lambda t, _ans, a, e, _f: _det_third_p(a, e, t),
    ),
    name="linalg.det_third",
    complex=True,
    batch=last_axes(2, 2, 2),
)
# <G, dC[E]> = D^2 det[E, G] = <dC[G], E>: the cofactors' derivative is its own transpose in E
_det_hessian_p = defrule(
    _det_hessian,
    vjps=(
        lambda g, _ans, a, e: _from(_det_third_p(a, e, g), a),
        lambda g, _ans, a, e: _from(_det_hessian_p(a, g), e),
    ),
    jvps=(lambda t, _ans, a, e: _det_third_p(a, e, t), lambda t, _ans, a, _e: _det_hessian_p(a, t)),
    name="linalg.det_hessian",
    complex=True,
    batch=last_axes(2, 2),
)
_det_cofactors_p = defrule(
    _det_cofactors,
    vjps=(lambda g, _ans, a: _from(_det_hessian_p(a, g), a),),
    jvps=(lambda t, _ans, a: _det_hessian_p(a, t),),
    name="linalg.det_cofactors",
    complex=True,
    batch=last_axes(2),
)


def _normal_dets(ans):
    """True where every det(A) is a normal nonzero float (not 0, subnormal, inf or nan)."""
    size = np.abs(ans)
    if size.size == 0:
        return np.asarray(True)
    return np.asarray(bool(size.min() >= np.finfo(size.dtype).tiny) and bool(size.max() < np.inf))


def _well_conditioned(a, inverse):
    """True where cond_1(A) <= eps^(-1/4) (8e3 in float64): where the inverse rule's derivatives keep
    their digits. The inverse rule's first derivative is accurate at any condition (see above), but
    the k-th derivative of det(A) A^-T, a product of k inverses, loses about cond(A)^(k-1) eps
    relatively (measured against the SVD route at 4x4 matrices with one small singular value: second
    order 2e-12 at cond 1e4, 2e-8 at 1e8; third order 2e-8 at 1e4, 4e-4 at 1e6; all digits at a
    singular matrix rounded to a tiny nonzero det). The bound keeps about 12 digits at second order
    and 8 at third; beyond it the SVD route is exact to third order."""
    if a.size == 0:
        return np.asarray(True)
    cond = np.abs(a).sum(axis=-2).max(axis=-1) * np.abs(inverse).sum(axis=-2).max(axis=-1)
    return np.asarray(bool(cond.max() <= np.finfo(cond.dtype).eps ** -0.25))


_normal_dets_p = nondifferentiable(_normal_dets, "linalg.det_normal")
_well_conditioned_p = nondifferentiable(_well_conditioned, "linalg.det_well_conditioned")


def _inverse_rule(ans: Any, a: Any) -> Any:
    """A^-1 where det's rule may use det(A) A^-T (normal dets, well conditioned), else None: the
    cofactor primitives (SVD) then. The checks are boolean tensors read by ``bool``, so tg.function
    guards the choice; Dask, CuPy and array-api values keep the inverse rule (the SVD route is NumPy's)."""
    plain = a.value if isinstance(a, Stacked) else a
    if _backend.is_foreign(plain._value if isinstance(plain, Tensor) else plain):
        return _inv_p(a)
    if not bool(_normal_dets_p(ans.value if isinstance(ans, Stacked) else ans)):
        return None
    try:
        inverse = _inv_p(a)
    except np.linalg.LinAlgError:  # (not seen: a normal det means LU found no zero pivot)
        return None
    if not bool(_well_conditioned_p(plain, inverse.value if isinstance(inverse, Stacked) else inverse)):
        return None
    return inverse


def _det_vjp(g, ans, a):
    inverse = _inverse_rule(ans, a)
    if inverse is not None:
        return _batch_scalar(g * ans) * _swap(inverse)
    return real_for_real(_batch_scalar(g) * _det_cofactors_p(a), a)


def _det_jvp(t, ans, a):
    inverse = _inverse_rule(ans, a)
    if inverse is not None:
        return ans * ops.sum(_swap(inverse) * t, axis=(-2, -1))
    return ops.sum(_det_cofactors_p(a) * t, axis=(-2, -1))


# slogdet's derivative is A^-T; log|det A| is -inf at a singular A, where no derivative exists.
def _inverse_for(a, what):
    """A^-1 for the derivative of ``what``; an exactly singular A is an error saying so."""
    try:
        return _inv_p(a)
    except np.linalg.LinAlgError:
        raise np.linalg.LinAlgError(
            f"the derivative of {what} at an exactly singular matrix does not exist: log|det| is -inf there and "
            "its derivative is the inverse. Differentiate at a non-singular matrix (e.g. add a small multiple of "
            "the identity), or differentiate det itself, whose derivative exists at singular matrices"
        ) from None


_det_p = defrule(np.linalg.det, vjps=(_det_vjp,), jvps=(_det_jvp,), name="linalg.det", complex=True, batch=last_axes(2))


def det(a: Any) -> Tensor:
    """The determinant of a square matrix (or of each matrix of a batch).

    Its gradient is the cofactor matrix, which exists everywhere: ``det(a) inv(a).T`` at well-conditioned
    matrices, from the SVD at singular (any rank) or ill-conditioned ones, exact to third order there;
    a fourth derivative there, of a matrix larger than 3x3, raises a LinAlgError.
    """
    _check_square(a, "det")
    return _det_p(a)


# d log|det A| = Re tr(A^-1 dA); for real A the sign has derivative zero almost everywhere and gets
# none (as TF). For complex A the sign s = det / |det| moves: ds = s i Im tr(A^-1 dA), whose
# transpose (bilinear pairing, see backward.finish) takes gs to -i Re(i s gs) A^-T.
def _slogdet_vjp(g, ans, a):
    gs, gl = g
    inv_t = _swap(_inverse_for(a, "slogdet"))
    out = None if gl is None else _batch_scalar(gl) * inv_t
    if gs is not None and _backend.kind(a.dtype) == "c":
        turn = _batch_scalar(ops.real(gs * ans[0] * 1j) * -1j) * inv_t
        out = turn if out is None else out + turn
    return out


def _slogdet_jvp(t, ans, a):
    trace = ops.sum(_swap(_inverse_for(a, "slogdet")) * t, axis=(-2, -1))
    if a.dtype.kind != "c":
        return None, trace
    return ans[0] * (ops.imag(trace) * 1j), ops.real(trace)


_slogdet_p = defrule(  # (sign, log|det|): a plain tuple, so two outputs
    lambda a: tuple(np.linalg.slogdet(a)),
    vjps=(_slogdet_vjp,),
    jvps=(_slogdet_jvp,),
    name="linalg.slogdet",
    complex=True,
    batch=last_axes(2),
)


class SlogdetResult(NamedTuple):
    sign: Tensor
    logabsdet: Tensor


def slogdet(a: Any) -> SlogdetResult:
    """(sign, log|det|) of a square matrix (or batch); only ``logabsdet`` is differentiable.

    Its gradient is ``inv(a).T``, so it needs a non-singular matrix (log|det| is -inf at a singular one,
    where differentiating raises a LinAlgError); ``det``'s gradient exists there.
    """
    _check_square(a, "slogdet")
    return SlogdetResult(*_slogdet_p(a))


# ---- solve ---------------------------------------------------------------------------------------------
def _solve(a, b, vector=False):
    """x with a @ x = b; ``vector``: b's last axis is one right-hand side (..., n), else b is (..., n, k)."""
    if vector:
        b = b[..., None]
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    x = np.linalg.solve(np.broadcast_to(a, batch + a.shape[-2:]), np.broadcast_to(b, batch + b.shape[-2:]))
    return x[..., 0] if vector else x


def _solve_vjp_a(g, x, a, _b, vector=False):
    gb = _solve_p(_swap(a), g, vector=vector)
    if vector:
        ga = -(ops.expand_dims(gb, -1) * ops.expand_dims(x, -2))
    else:
        ga = -matmul(gb, _swap(x))
    return unbroadcast(ga, a)


def _solve_vjp_b(g, _x, a, b, vector=False):
    return unbroadcast(_solve_p(_swap(a), g, vector=vector), b)


def _solve_jvp_a(t, x, a, _b, vector=False):
    tx = _drop_last(matmul(t, ops.expand_dims(x, -1))) if vector else matmul(t, x)
    return -_solve_p(a, tx, vector=vector)


# Batching: a stack of right-hand sides must not meet NumPy's batch axes (a leading stack axis
# would turn a vector right-hand side (n,) into a batch of vectors, each solved with its own
# factorization): the stack moves to the columns instead, so one factorization of each matrix of
# ``a`` serves every row (benchmarks/op_jacobians.py measures it against the per-row loop).
def _solve_stack(a: Any, s: Any, vector: bool) -> Any:
    """The rows of ``s`` solved: ``s`` is (m, *B, n) (``vector``) or (m, *B, n, k); the result is
    (m, *X, n) or (m, *X, n, k), X the batch shape of a and B broadcast together."""
    m, nd = s.shape[0], s.ndim
    if vector:
        cols = ops.transpose(s, (*range(1, nd), 0))  # (*B, n, m): the rows are the columns
        x = _solve_p(a, cols, vector=False)  # (*X, n, m)
        return ops.transpose(x, (x.ndim - 1, *range(x.ndim - 1)))
    k = s.shape[-1]
    cols = ops.transpose(s, (*range(1, nd - 1), 0, nd - 1))  # (*B, n, m, k)
    x = _solve_p(a, ops.reshape(cols, (*cols.shape[:-2], m * k)), vector=False)  # (*X, n, m * k)
    lead = x.ndim - 2  # len(X)
    x = ops.reshape(x, (*x.shape[:-1], m, k))  # (*X, n, m, k)
    return ops.transpose(x, (lead + 1, *range(lead + 1), lead + 2))


def _solve_batch(prim, args, stacked, params):
    vector = params.get("vector", False)
    if stacked == (False, True):
        return _solve_stack(args[0], args[1], vector)
    return last_axes(2, 1 if vector else 2)(prim, args, stacked, params)


_solve_p = defrule(
    _solve,
    vjps=(_solve_vjp_a, _solve_vjp_b),
    jvps=(_solve_jvp_a, lambda t, _x, a, _b, vector=False: _solve_p(a, t, vector=vector)),
    name="linalg.solve",
    complex=True,
    batch=_solve_batch,
)


def solve(a: Any, b: Any) -> Tensor:
    """x with ``a @ x == b`` (np.linalg.solve, NumPy 2 rules).

    ``a`` is (..., n, n); ``b`` is a vector (n,) or matrices (..., n, k); batch dimensions broadcast.
    """
    _check_square(a, "solve")
    sa, sb = _shape(a), _shape(b)
    vector = len(sb) == 1
    if len(sb) == 0 or sb[-1 if vector else -2] != sa[-1]:
        raise ValueError(
            f"tg.linalg.solve: b of shape {sb} does not match a of shape {sa}; b must be (n,) or (..., n, k) "
            f"with n = {sa[-1]}"
        )
    if not vector:
        try:
            np.broadcast_shapes(sa[:-2], sb[:-2])
        except ValueError:
            raise ValueError(f"tg.linalg.solve: batch shapes of a {sa} and b {sb} do not broadcast") from None
    return _solve_p(a, b, vector=vector)


# ---- cholesky ------------------------------------------------------------------------------------------
def _phi(x: Any) -> Any:
    """The lower triangle with the diagonal halved."""
    n = x.shape[-1]
    dtype = _backend.numpy_dtype(x.dtype)
    return ops.multiply(x, np.tri(n, dtype=dtype) - 0.5 * np.eye(n, dtype=dtype))  # any array library


# Convention: NumPy reads only the lower triangle, but the derivatives here are those of
# A -> cholesky((A + A^H) / 2) (TensorFlow's and JAX's): for dL the tangent is symmetrized,
#   dL = L phi(L^-1 herm(dA) L^-H),
# and the gradient is the Hermitian S = herm(L^-T phi(L^T Lbar) conj(L^-1)) (the transpose of the
# JVP for the bilinear pairing, see backward.finish; for real values conj is skipped).
def _cholesky_vjp(g, L, _a):
    l_inv = _inv_p(L)
    s = matmul(_swap(l_inv), matmul(_phi(matmul(_swap(L), g)), _conj(l_inv)))
    return 0.5 * (s + _conj(_swap(s)))


def _cholesky_jvp(t, L, _a):
    l_inv = _inv_p(L)
    herm = 0.5 * (t + _conj(_swap(t)))
    return matmul(L, _phi(matmul(l_inv, matmul(herm, _conj(_swap(l_inv))))))


def _conj(x: Any) -> Any:
    return ops.conj(x) if _backend.kind(x.dtype) == "c" else x


_cholesky_p = defrule(
    np.linalg.cholesky,
    vjps=(_cholesky_vjp,),
    jvps=(_cholesky_jvp,),
    name="linalg.cholesky",
    complex=True,
    batch=last_axes(2),
)


def cholesky(a: Any) -> Tensor:
    """Lower-triangular L with ``L @ L.T == a`` for symmetric positive-definite ``a`` (or a batch).

    Only the lower triangle is read. The gradient is the symmetric one, that of
    ``cholesky((a + a.T) / 2)``, so it is meant for symmetric inputs.
    """
    _check_square(a, "cholesky")
    return _cholesky_p(a)


def plain_values(x: Any) -> np.ndarray:
    """The numbers of a value, a tensor or a batched walk's stack (its leading axis the batch)."""
    x = x.value if isinstance(x, Stacked) else x
    return np.asarray(getattr(x, "_value", x))


def check_gauge(what: str, fix: str, *pairs: tuple[Any, Any]) -> None:
    """Refuse a cotangent that changes the loss along the vectors' arbitrary phases (PyTorch's check).

    Each pair is (vectors as columns, their cotangent in the table's convention); a phase rotation
    v_k -> e^{i theta} v_k of every pair at once changes the loss by -theta Im(sum of diag(V^T gV)_k).
    Only where that is zero (up to rounding) is the gradient defined."""
    im, scale = 0.0, 0.0
    for v, g in pairs:
        if g is None:
            continue
        v, g = plain_values(v), plain_values(g)
        im = im + np.imag(np.sum(v * g, axis=-2))
        scale = scale + np.sum(np.abs(v) * np.abs(g), axis=-2)
    if np.ndim(im) == 0:
        return
    tol = 10 * np.sqrt(np.finfo(np.result_type(*[plain_values(v).dtype for v, _ in pairs]).type(0).real.dtype).eps)
    if np.any(np.abs(im) > tol * (scale + np.finfo(np.float64).tiny)):
        raise ValueError(
            f"{what}: the loss depends on the phases of the singular/eigen vectors, which are arbitrary "
            f"(any e^(i theta) multiple is as valid), so its gradient is not defined; {fix}"
        )


# ---- eigh ----------------------------------------------------------------------------------------------
def _eigh(a, UPLO="L"):  # noqa: N803
    return tuple(np.linalg.eigh(a, UPLO=UPLO))  # (eigenvalues, eigenvectors): two outputs


def _eigengaps(w: Any) -> Any:
    """F[i, j] = 1 / (w_j - w_i) off the diagonal; 0 on it and wherever two eigenvalues are equal.

    Convention: eigenvalues are assumed distinct; exactly equal ones drop their coupling term
    (instead of dividing by zero), so gradients depending only on eigenvalues stay finite.
    """
    diff = ops.expand_dims(w, -2) - ops.expand_dims(w, -1)
    zero = diff == 0
    return ops.where(zero, 0, 1 / ops.where(zero, 1, diff))


def _diag_embed(d: Any) -> Any:
    n = d.shape[-1]
    return ops.multiply(ops.expand_dims(d, -2), np.eye(n, dtype=_backend.numpy_dtype(d.dtype)))


# Gradient for a symmetric (Hermitian) input, symmetrized as for cholesky, distinct eigenvalues assumed:
#   dw = Re diag(V^H herm(dA) V), dV = V (F * (V^H herm(dA) V))  (each eigenvector's phase held: the
#   diagonal of V^H dV is 0, so only losses that do not depend on the phases are meaningful), and
#   Abar = herm(conj(V) (diag(wbar) + F * (V^T Vbar)) V^T), the transpose for the bilinear pairing
#   (see backward.finish). For real input conj is skipped: sym(V (diag(wbar) + F * (V^T Vbar)) V^T).
def _eigh_vjp(g, ans, _a, UPLO="L"):  # noqa: N803
    (w, v), (gw, gv) = ans, g  # a cotangent is None for an output that received none
    if _backend.kind(v.dtype) == "c":
        check_gauge(
            "linalg.eigh of a complex matrix",
            "differentiate phase-free quantities (eigenvalues, |v|^2, v v^H)",
            (v, gv),
        )
    inner = 0 if gv is None else _eigengaps(w) * matmul(_swap(v), gv)
    if gw is not None:
        inner = inner + _diag_embed(gw)
    s = matmul(_conj(v), matmul(inner, _swap(v)))
    return 0.5 * (s + _conj(_swap(s)))


def _eigh_jvp(t, ans, _a, UPLO="L"):  # noqa: N803
    w, v = ans
    m = matmul(_conj(_swap(v)), matmul(0.5 * (t + _conj(_swap(t))), v))
    n = w.shape[-1]
    dw = ops.sum(m * np.eye(n, dtype=m.dtype), axis=-1)
    if _backend.kind(dw.dtype) == "c":
        dw = ops.real(dw)
    dv = matmul(v, _eigengaps(w) * m)
    return dw, dv


_eigh_p = defrule(_eigh, vjps=(_eigh_vjp,), jvps=(_eigh_jvp,), name="linalg.eigh", complex=True, batch=last_axes(2))


class EighResult(NamedTuple):
    eigenvalues: Tensor
    eigenvectors: Tensor


def eigh(a: Any, UPLO: str = "L") -> EighResult:  # noqa: N803
    """Eigenvalues (ascending) and eigenvectors (columns) of a symmetric matrix (or a batch).

    Reads the lower (``UPLO='L'``) or upper triangle. Gradients treat the input as symmetric
    (those of ``eigh((a + a.T) / 2)``) and assume distinct eigenvalues: the eigenvector gradient
    divides by eigenvalue gaps. Eigenvectors are defined up to sign, so differentiate quantities
    that do not depend on the sign (``v * v``, ``v @ v.T`` products, eigenvalues).

    """
    _check_square(a, "eigh")
    if UPLO not in ("L", "U"):
        raise ValueError(f"tg.linalg.eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    return EighResult(*_eigh_p(a, UPLO=UPLO))


def eigvalsh(a: Any, UPLO: str = "L") -> Tensor:  # noqa: N803
    """Eigenvalues (ascending) of a symmetric matrix (or a batch); see ``eigh`` for the gradient."""
    return eigh(a, UPLO)[0]


# ---- norm -------------------------------------------------------------------------------------------
# The Euclidean/Frobenius norm is reduce.norm (_norm2: its gradient at 0 is 0, not nan);
# this wrapper adds NumPy's other orders on top of it.
def _squeeze_axes(x: Any, axes: tuple, keepdims: bool) -> Any:
    if keepdims:
        return x
    shape = _shape(x)
    return ops.reshape(x, tuple(n for i, n in enumerate(shape) if i not in axes))


def _vector_norm(x: Any, ord: Any, axes: tuple, keepdims: bool) -> Any:  # noqa: A002
    if ord is None or ord == 2:
        return _norm2(x, axis=axes, keepdims=keepdims)
    if ord == 1:
        return ops.sum(ops.abs(x), axis=axes, keepdims=keepdims)  # abs'(0) = 0
    if ord == np.inf:
        return ops.max(ops.abs(x), axis=axes, keepdims=keepdims)
    if ord == -np.inf:
        return ops.min(ops.abs(x), axis=axes, keepdims=keepdims)
    if ord == 0:  # the count of nonzero entries, real (as every norm) for a complex x too
        dtype = np.dtype(_dtype_of(x))
        nonzero = ops.cast(ops.not_equal(x, 0), np.finfo(dtype).dtype if dtype.kind in "fc" else dtype)
        return ops.sum(nonzero, axis=axes, keepdims=keepdims)
    if isinstance(ord, str):
        raise ValueError(f"tg.linalg.norm: ord={ord!r} is a matrix norm; give a 2-tuple axis or a 2-D input")
    p = float(ord)
    total = ops.sum(ops.abs(x) ** p, axis=axes, keepdims=keepdims)
    if p <= 1:
        return total ** (1.0 / p)
    # the 0 vector: gradient 0 (as the 2-norm's), not 0 * inf = nan
    zero = ops.equal(total, 0)  # lazy (Dask stays a graph; tg.function needs no guard)
    return ops.where(zero, 0.0, ops.where(zero, 1.0, total) ** (1.0 / p))


def _dtype_of(x: Any) -> Any:
    return x.dtype if hasattr(x, "dtype") else np.result_type(x)


def _matrix_norm(x: Any, ord: Any, axes: tuple, keepdims: bool) -> Any:  # noqa: A002
    row, col = axes
    if ord is None or ord == "fro":
        return _norm2(x, axis=tuple(sorted(axes)), keepdims=keepdims)
    if ord in (1, -1, np.inf, -np.inf):
        # 1: largest column sum of |x|; inf: largest row sum
        summed, reduced = (row, col) if ord in (1, -1) else (col, row)
        sums = ops.sum(ops.abs(x), axis=summed, keepdims=True)
        pick = ops.max if ord in (1, np.inf) else ops.min
        return _squeeze_axes(pick(sums, axis=reduced, keepdims=True), tuple(sorted(axes)), keepdims)
    raise ValueError(
        f"tg.linalg.norm: matrix norm ord={ord!r} is not supported; use 'fro', 1, -1, inf or -inf "
        "(2-norm and nuclear norm need singular values)"
    )


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A002
    """np.linalg.norm: vector norms (2, 1, inf, -inf, 0, any p) or matrix norms ('fro', 1, -1, inf, -inf).

    ``ord='euclidean'`` (TensorFlow's spelling) is the default 2-/Frobenius norm.

    With ``axis=None``: the 2-norm of all elements when ``ord`` is None, else a vector norm of a
    1-D input or a matrix norm of a 2-D one. An int ``axis`` gives vector norms, a 2-tuple matrix
    norms. The 2-norm's gradient at 0 is 0 (not nan).
    """
    nd = _ndim(x)
    axis = as_axis_param(axis)
    if isinstance(ord, str) and ord == "euclidean":  # TensorFlow's name for the default
        ord = None  # noqa: A001
    if axis is None:
        if ord is None:
            return (
                _norm2(x, axis=None, keepdims=False)
                if not keepdims
                else _norm2(x, axis=tuple(range(nd)), keepdims=True)
            )
        if nd == 1:
            return _vector_norm(x, ord, (0,), keepdims)
        if nd == 2:
            return _matrix_norm(x, ord, (0, 1), keepdims)
        raise ValueError(f"tg.linalg.norm: with ord={ord!r} and axis=None the input must be 1-D or 2-D, got {nd}-D")
    if isinstance(axis, tuple):
        if len(axis) == 1:
            axis = axis[0]
        elif len(axis) == 2:
            axes = tuple(int(a) % nd if -nd <= int(a) < nd else _bad_axis(a, nd) for a in axis)
            if axes[0] == axes[1]:
                raise ValueError(f"tg.linalg.norm: the two axes {axis} are the same axis")
            return _matrix_norm(x, ord, axes, keepdims)
        else:
            raise ValueError(f"tg.linalg.norm: axis must be an int or a 2-tuple, got {axis!r}")
    return _vector_norm(x, ord, normalize_axis(axis, nd), keepdims)


def _bad_axis(a: Any, nd: int) -> int:
    raise ValueError(f"tg.linalg.norm: axis {a} is out of range for a tensor with {nd} dimensions")


# ---- tg.linalg.matmul and trace (TensorFlow's spellings) ------------------------------------------------
def linalg_matmul(
    a: Any,
    b: Any,
    transpose_a: bool = False,
    transpose_b: bool = False,
    adjoint_a: bool = False,
    adjoint_b: bool = False,
) -> Tensor:
    """tf.linalg.matmul: matmul with optional transposes of the (last two axes of the) arguments."""
    if transpose_a or adjoint_a:
        a = matrix_transpose(a)
    if transpose_b or adjoint_b:
        b = matrix_transpose(b)
    return matmul(a, b)


def linalg_trace(x: Any, offset: int = 0) -> Tensor:
    """The trace of each matrix over the last two axes (tf.linalg.trace / np.linalg.trace)."""
    return trace(x, offset=offset, axis1=-2, axis2=-1)


# ---- NumPy entry points -------------------------------------------------------------------------------
def _no_out(name: str, out: Any = None, dtype: Any = None) -> None:
    if out is not None:
        raise TypeError(f"numpy.{name} on a tapegrad Tensor does not take out= (tensors are immutable)")
    if dtype is not None:
        raise TypeError(f"numpy.{name} on a tapegrad Tensor does not take dtype=; cast with tg.cast first")


def _np_einsum(*operands: Any, out: Any = None, optimize: Any = False, dtype: Any = None, **kw: Any) -> Tensor:
    _no_out("einsum", out, dtype)
    return einsum(*operands)


def _np_cholesky(a: Any, upper: bool = False) -> Tensor:
    L = cholesky(a)  # noqa: N806
    return matrix_transpose(L) if upper else L


NUMPY_FUNCTIONS = {
    np.dot: lambda a, b, out=None: _no_out("dot", out) or dot(a, b),
    np.vdot: vdot,
    np.inner: inner,
    np.outer: lambda a, b, out=None: _no_out("outer", out) or outer(a, b),
    np.tensordot: lambda a, b, axes=2: tensordot(a, b, axes),
    np.einsum: _np_einsum,
    np.trace: lambda a, offset=0, axis1=0, axis2=1, dtype=None, out=None: (
        _no_out("trace", out, dtype) or trace(a, offset, axis1, axis2)
    ),
    np.linalg.inv: inv,
    np.linalg.det: det,
    np.linalg.slogdet: slogdet,
    np.linalg.solve: solve,
    np.linalg.cholesky: _np_cholesky,
    np.linalg.eigh: eigh,
    np.linalg.eigvalsh: eigvalsh,
    np.linalg.norm: norm,
}
for _name, _fn in (
    ("matrix_transpose", lambda x: matrix_transpose(x)),
    ("trace", lambda x, offset=0, dtype=None: _no_out("linalg.trace", None, dtype) or linalg_trace(x, offset)),
    ("tensordot", lambda a, b, axes=2: tensordot(a, b, axes)),
    ("outer", outer),
    ("matmul", lambda x1, x2: matmul(x1, x2)),
):
    if hasattr(np.linalg, _name):  # NumPy >= 2.0
        NUMPY_FUNCTIONS[getattr(np.linalg, _name)] = _fn
if hasattr(np, "matrix_transpose"):
    NUMPY_FUNCTIONS[np.matrix_transpose] = matrix_transpose
