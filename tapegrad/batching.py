"""Batched cotangents and tangents: a whole Jacobian in one walk over the records (JAX's vmap).

A Jacobian needs one VJP per output element (or one JVP per input element). Instead of walking the
records once per row, the walks push a stack of cotangents (tangents) with a leading batch axis
through the ORDINARY rules: the stack enters a rule as a ``Stacked`` value, and every op it reaches
runs by that op's *batching rule* (how the op runs when some arguments carry a leading batch
axis), so the batched VJP and JVP follow from the rules, which are written in tapegrad ops.

A batching rule is ``rule(prim, args, stacked, params)``: ``args`` the argument values (a stack's
leading axis included), ``stacked[i]`` whether argument i carries the axis; it returns the output
with the batch axis leading. Declarators give elementwise ops theirs (``broadcasting``); ops that
name their axes take ``along_axes``, matrix functions ``last_axes``; the others declare their own
next to their rules. A primitive without one runs once per row (``looped``: correct, slower), and
so do the rules of a primitive without one (users' ``tg.primitive``s).
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np

from tapegrad._context import state
from tapegrad._tensor import Tensor, ops, wrap

Rule = Callable[..., Any]


class Stacked:
    """A stack of values (leading batch axis) inside a rule run by a batched walk: an op that gets
    one runs by its batching rule. ``shape``, ``dtype`` and ``ndim`` are a row's, as a rule reads
    them from a plain value."""

    __slots__ = ("value",)
    __array_ufunc__ = None  # NumPy defers to the reflected operator: array * stacked -> __rmul__

    def __init__(self, value: Any) -> None:
        self.value = value

    shape = property(lambda self: tuple(self.value.shape[1:]))
    dtype = property(lambda self: self.value.dtype)
    ndim = property(lambda self: self.value.ndim - 1)
    size = property(lambda self: math.prod(self.value.shape[1:]))


# fmt: off
for _name in (  # the operators of Tensor: they call the ops, which run by their batching rules on a Stacked
    "__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__", "__rtruediv__", "__pow__",
    "__matmul__", "__rmatmul__", "__neg__"
):
    setattr(Stacked, _name, getattr(Tensor, _name))
# fmt: on


def batch_call(prim: Any, args: Sequence[Any], params: dict) -> Any:
    """An op call with ``Stacked`` arguments: its batching rule, the result ``Stacked`` again."""
    stacked = tuple([a.__class__ is Stacked for a in args])
    out = (prim.batch or looped)(prim, [a.value if a.__class__ is Stacked else a for a in args], stacked, params)
    return tuple(Stacked(o) for o in out) if out.__class__ is tuple else Stacked(out)


# ---- batching rules ---------------------------------------------------------------------------------
def lift(t: Any, ndim: int) -> Any:
    """A stack ``(m, *s)`` reshaped to ``(m, 1, ..., 1, *s)`` with ``1 + ndim`` axes, so that it
    broadcasts against values of ``ndim`` axes the way each of its rows does."""
    missing = ndim - (t.ndim - 1)
    if missing <= 0:
        return t
    return ops.reshape(t, tuple(t.shape[:1]) + (1,) * missing + tuple(t.shape[1:]))


_NUMBERS = frozenset({float, int, bool, complex})


def _ndim(value: Any, stacked: bool) -> int:
    return 0 if value.__class__ in _NUMBERS else value.ndim - stacked


def broadcasting(prim: Any, args: list, stacked: tuple, params: dict) -> Any:
    """Elementwise ops: each stack lifted so that its rows broadcast as a plain value does."""
    ndims = [_ndim(a, s) for a, s in zip(args, stacked)]
    ndim = max(ndims)
    return prim(*[lift(a, ndim) if s and n < ndim else a for a, s, n in zip(args, stacked, ndims)], **params)


def negative_axes(axis: Any, ndim: int) -> Any:
    """``axis`` of a value with ``ndim`` axes counted from the end (None: all), which names the same
    axes of its batched stack."""
    if axis is None:
        return tuple(range(-ndim, 0))
    if isinstance(axis, tuple):
        return tuple(a - ndim if a >= 0 else a for a in axis)
    return axis - ndim if axis >= 0 else axis


def along_axes(prim: Any, args: list, stacked: tuple, params: dict) -> Any:
    """Ops on one value that name their axes by parameters (reductions, softmax, cumsum, trace):
    the same axes counted from the end."""
    if stacked != (True,) + (False,) * (len(args) - 1):
        return looped(prim, args, stacked, params)
    ndim = args[0].ndim - 1
    moved = {k: negative_axes(v, ndim) for k, v in params.items() if k in ("axis", "axes", "axis1", "axis2")}
    return prim(*args, **{**params, **moved})


def last_axes(*ranks: int | Callable[[dict], int]) -> Rule:
    """Ops on the last ``ranks[i]`` axes of argument i that broadcast over leading ones (matrix
    functions, solve); a rank may depend on the params. Stacks are lifted to a common batch."""

    def rule(prim: Any, args: list, stacked: tuple, params: dict) -> Any:
        core = [r(params) if callable(r) else r for r in ranks]
        lead = max(_ndim(a, s) - r for a, s, r in zip(args, stacked, core))
        return prim(*[lift(a, lead + r) if s else a for a, s, r in zip(args, stacked, core)], **params)

    return rule


def stacks_of(args: list, stacked: tuple) -> list:
    """Every argument as a stack: plain ones broadcast to the stack's length (views)."""
    m = next(a.shape[0] for a, s in zip(args, stacked) if s)
    return [a if s else ops.broadcast_to(a, (m, *np.shape(a))) for a, s in zip(args, stacked)]


def looped(prim: Any, args: list, stacked: tuple, params: dict) -> Any:
    """Any op: once per row, the results stacked (correct for every op, one call per row)."""
    m = next(a.shape[0] for a, s in zip(args, stacked) if s)
    rows = [prim(*[a[b] if s else a for a, s in zip(args, stacked)], **params) for b in range(m)]
    if rows[0].__class__ is tuple:
        return tuple(ops.stack([r[j] for r in rows]) for j in range(len(rows[0])))
    return ops.stack(rows)


# ---- what the walks call ------------------------------------------------------------------------------
def stacked_vjp(prim: Any, g: Any, ans: Any, needs: tuple, inputs: tuple, params: dict, raw: bool) -> list:
    """The cotangent stacks of the arguments at ``needs`` for the cotangent stack(s) ``g``.

    The rules run on Tensors even in a raw walk (``inputs`` from ``backward.as_tensors``), so that
    Python numbers in them follow the tensors' dtype as they do in a taped pass."""
    g = tuple(None if x is None else _tensor(x) for x in g) if g.__class__ is tuple else _tensor(g)
    if prim.batch is None:
        rows = [prim.joint_vjp(_row(g, b), ans, needs, *inputs, **params) for b in range(_rows(g))]
        out: list = [None] * len(inputs)
        for i in needs:
            out[i] = _stack([row[i] for row in rows], tuple(inputs[i].shape), inputs[i].dtype, raw)
        return out
    m = _rows(g)
    gs = tuple(None if x is None else Stacked(x) for x in g) if g.__class__ is tuple else Stacked(g)
    vjps = prim.vjps
    out = [None] * len(inputs)
    if vjps is None:
        grads = prim.joint_vjp(gs, ans, needs, *inputs, **params)
        for i in needs:
            out[i] = _unstacked(grads[i], m, inputs[i], raw)
        return out
    for i in needs:
        rule = vjps[i]
        if rule is not None:
            out[i] = _unstacked(rule(gs, ans, *inputs, **params), m, inputs[i], raw)
    return out


def stacked_jvp(prim: Any, tangents: list, m: int, ans: Any, inputs: tuple, params: dict, raw: bool) -> Any:
    """The output tangent stack(s) for the arguments' tangent stacks of ``m`` rows (None where none),
    by the op's JVP rules run on ``Stacked`` tangents (or once per row); each ``(m, *out.shape)`` in
    the output's dtype. ``inputs`` and ``ans`` are Tensors (``backward.as_tensors``) even in a raw
    walk, whose results are plain arrays."""
    saved = state.recorders
    if raw:  # stacks need their ops' batching rules, which RAW calls skip
        state.recorders = ()
    try:
        out = _rules_jvp(prim, [None if t is None else _tensor(t) for t in tangents], m, ans, inputs, params, raw)
    finally:
        state.recorders = saved
    if ans.__class__ is tuple:
        return None if out is None else tuple(_fitted(o, m, a, raw) for o, a in zip(out, ans))
    return _fitted(out, m, ans, raw)


def _rules_jvp(prim: Any, tangents: list, m: int, ans: Any, inputs: tuple, params: dict, raw: bool) -> Any:
    """``stacked_jvp`` by the op's JVP rules run on ``Stacked`` tangents (or once per row)."""
    several = ans.__class__ is tuple
    if prim.batch is None:
        rows = [
            prim.joint_jvp([None if t is None else t[b] for t in tangents], ans, *inputs, **params) for b in range(m)
        ]
        if several:
            return tuple(
                _stack([None if r is None else r[j] for r in rows], tuple(a.shape), a.dtype, raw)
                for j, a in enumerate(ans)
            )
        return _stack(rows, tuple(ans.shape), ans.dtype, raw)
    out = prim.joint_jvp([None if t is None else Stacked(t) for t in tangents], ans, *inputs, **params)
    if several:
        return None if out is None else tuple(_unstacked(o, m, a, raw) for o, a in zip(out, ans))
    return _unstacked(out, m, ans, raw)


def _fitted(stack: Any, m: int, like: Any, raw: bool) -> Any:
    """A tangent stack as the walk keeps it: shape ``(m, *like.shape)``, ``like``'s dtype, a plain
    array in a raw walk."""
    if stack is None:
        return None
    shape = (m, *like.shape)
    if stack.shape != shape:
        stack = ops.broadcast_to(stack, shape)
    if stack.dtype != like.dtype:
        stack = ops.cast(stack, like.dtype)
    return stack._value if raw and isinstance(stack, Tensor) else stack


# Fast paths for elementwise ops (``prim.partials``; constants for add, subtract, negative), which
# most records of a Hessian are, for ops with hand-written ``batched_vjps`` (matmul) and for the JVPs
# of linear and multilinear ops: the values the op's batching rule would give, without a ``Stacked``
# dispatch per op, and on plain NumPy values in a raw walk (which runs RAW: only the general route
# switches to recording-free Tensors). Same values as the general route. The walks call them
# directly (no layer between), and they call a rule without ``**params`` when there are none (an
# empty ``MappingProxyType`` of a record costs ~230 ns per call). Measured (callgrind, instructions
# per call; round-3 base in brackets): W5 via tape.jacobian 2,600k -> 2,355k (2,366k), via
# tg.hessian 3,374k -> 2,748k (2,801k).
def direct_vjp(prim: Any, g: Any, ans: Any, needs: tuple, inputs: tuple, params: dict, raw: bool) -> Any:
    """The cotangent stacks of an elementwise op, ``g * d_i`` per needed argument, or by an op's
    ``batched_vjps``; None (take ``stacked_vjp``) where a cotangent would need unbroadcasting or a
    cast, a rule declines, or the op has several outputs."""
    if g.__class__ is tuple:
        return None
    partials = prim.partials
    if not raw:  # (a raw walk: plain values, RAW)
        g = _tensor(g)
    out: list = [None] * len(inputs)
    if partials is None:
        for i in needs:
            rule = prim.batched_vjps[i]
            out[i] = rule(g, ans, *inputs, **params) if params else rule(g, ans, *inputs)
            if out[i] is None:
                return None
        return out
    for i in needs:
        d = partials[i]
        if d is None:
            continue
        if d.__class__ is int:  # a constant partial, 1 or -1 (add, subtract): no product
            gi = g if d == 1 else -g
        else:
            dv = d(ans, *inputs, **params) if params else d(ans, *inputs)
            gi = g * dv if dv.__class__ in _NUMBERS or dv.ndim < g.ndim else lift(g, dv.ndim) * dv
        x = inputs[i]
        if gi.shape[1:] != x.shape or gi.dtype is not x.dtype and gi.dtype != x.dtype:
            return None
        out[i] = gi
    return out


def direct_jvp(prim: Any, tangents: list, m: int, ans: Any, inputs: tuple, params: dict, raw: bool) -> Any:
    """``stacked_jvp`` for an elementwise, linear or multilinear op: the sum of the arguments'
    contributions, each straight from its stack: ``t_i * d_i`` for an elementwise op (lifted as
    ``broadcasting`` lifts it), the op itself on ``t_i`` by its batching rule for a linear or
    multilinear one (its JVP); plain values in a raw walk."""
    partials = prim.partials
    total = None
    for i, t in enumerate(tangents):
        if t is None:
            continue
        if not raw:
            t = _tensor(t)
        if partials is None:
            if prim.jvps[i] is None:
                continue
            stacked = (False,) * i + (True,) + (False,) * (len(inputs) - i - 1)
            c = prim.batch(prim, [*inputs[:i], t, *inputs[i + 1 :]], stacked, params)
        elif (d := partials[i]) is None:
            continue
        elif d.__class__ is int:  # a constant partial, 1 or -1 (add, subtract)
            c = t if d == 1 else -t
        else:
            dv = d(ans, *inputs, **params) if params else d(ans, *inputs)
            c = t * dv if dv.__class__ in _NUMBERS or dv.ndim < t.ndim else lift(t, dv.ndim) * dv
        if total is None:
            total = c
        else:
            n = max(total.ndim, c.ndim) - 1
            total = lift(total, n) + lift(c, n)
    if total is None:
        return None
    if total.shape[1:] != ans.shape:  # the tangent of a broadcast argument: rows broadcast
        total = _unstacked(Stacked(total), m, ans, raw)
    dtype = ans.dtype
    if total.dtype is not dtype and total.dtype != dtype:
        total = ops.cast(total, dtype)
    return total._value if raw and total.__class__ is Tensor else total


def _unstacked(result: Any, m: int, like: Any, raw: bool) -> Any:
    """A rule's result as a plain stack ``(m, *like.shape)`` (a result that does not depend on the
    stack is the same for every row)."""
    if result is None:
        return None
    if result.__class__ is Stacked and result.value.shape[1:] == like.shape:  # the common case
        value = result.value
        return value._value if raw and value.__class__ is Tensor else value
    shape = (m, *like.shape)
    if result.__class__ is Stacked:
        value = lift(result.value, len(shape) - 1)  # a tangent of a broadcast argument: rows broadcast
    else:
        value = ops.broadcast_to(result, (m, *np.shape(result)))
    if tuple(value.shape) != shape:
        value = ops.broadcast_to(value, shape)
    return value._value if raw and isinstance(value, Tensor) else value


def _tensor(value: Any) -> Any:
    return value if isinstance(value, Tensor) else wrap(value)


def _rows(stack: Any) -> int:
    """The batch length of a stack, or of the first stack of a tuple (one per output)."""
    if stack.__class__ is tuple:
        return next(s.shape[0] for s in stack if s is not None)
    return stack.shape[0]


def _row(stack: Any, b: int) -> Any:
    if stack.__class__ is tuple:
        return tuple(None if s is None else s[b] for s in stack)
    return stack[b]


def _stack(rows: list, like_shape: tuple, dtype: Any, raw: bool) -> Any:
    if all(r is None for r in rows):
        return None
    filled = [ops.zeros(like_shape, dtype=dtype) if r is None else ops.broadcast_to(r, like_shape) for r in rows]
    out = ops.stack(filled)
    return out._value if raw and isinstance(out, Tensor) else out


# ---- how many rows per walk ---------------------------------------------------------------------------
STACK_BYTES = 1 << 27  # a walk's widest stack of cotangents or tangents stays under 128 MiB


def rows_per_walk(records: Sequence[tuple], rows: int, parallel_iterations: Any = None) -> int:
    """How many rows of a Jacobian one batched walk takes: all of them unless the stacks would
    outgrow ``STACK_BYTES`` (each is rows x the widest recorded value), or TensorFlow's
    ``parallel_iterations`` asks for fewer."""
    widest = 1
    for record in records:
        ans = record[3]  # Record.ans: an array or Meta stand-in, or a tuple of them for several outputs
        try:
            widest = max(widest, math.prod(ans.shape) * ans.dtype.itemsize)
        except AttributeError:  # a tuple (several outputs)
            widest = max(widest, *[math.prod(value.shape) * value.dtype.itemsize for value in ans])
    step = max(1, STACK_BYTES // widest)
    if parallel_iterations is not None:
        step = min(step, max(1, int(parallel_iterations)))
    return min(rows, step)


def in_chunks(
    records: Sequence[tuple], rows: int, walk_rows: Callable[[slice], list], zeros: Callable[[int, int], Any],
    parallel_iterations: Any = None,
) -> list:  # fmt: skip
    """The Jacobian chunking both walks share: ``walk_rows(rows)`` gives, per result, a stack for
    those rows (or None); the chunks' stacks are joined per result (None where all are None, zeros
    ``zeros(result, n)`` filling a chunk that gave None)."""
    step = rows_per_walk(records, rows, parallel_iterations) if rows else 1
    if 0 < rows <= step:  # the common case: one walk
        return walk_rows(slice(0, rows))
    pieces_of_rows = [slice(start, min(start + step, rows)) for start in range(0, rows, step)]
    parts = [walk_rows(r) for r in pieces_of_rows]
    if len(parts) == 1:
        return parts[0]
    stacks = []
    for k in range(len(parts[0]) if parts else 0):
        pieces = [p[k] for p in parts]
        if all(p is None for p in pieces):
            stacks.append(None)
            continue
        sizes = [r.stop - r.start for r in pieces_of_rows]
        stacks.append(ops.concatenate([zeros(k, n) if p is None else p for p, n in zip(pieces, sizes)], axis=0))
    return stacks
