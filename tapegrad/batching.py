"""Batched cotangents and tangents: a whole Jacobian in one walk over the records.

A Jacobian needs one VJP per output element (or one JVP per input element). Instead of walking the
records once per row, the walks push a stack of cotangents (tangents) with a leading batch axis
through *batched* rules: ``batched_vjp(g, ans, *args)`` gets ``g`` of shape ``(m, *ans.shape)`` and
returns ``(m, *arg.shape)``; ``batched_jvp(t, ans, *args)`` gets ``t`` of shape ``(m, *arg.shape)``.

Declarators give most primitives their batched rules for free (an elementwise partial broadcasts
against the whole stack); the others declare them next to their ordinary rules, and a primitive
without one falls back to its ordinary rule once per batch row (correct, just slower).
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from tapegrad._context import RAW, state
from tapegrad._tensor import ops

Rule = Callable[..., Any]


def unbroadcast_batched(g: Any, like: Any) -> Any:
    """Sum a stack of cotangents ``(m, *out)`` down to ``(m, *like.shape)`` and match its dtype."""
    shape = like.shape
    gshape = g.shape
    target = gshape[:1] + tuple(shape)
    if gshape != target:
        lead = len(gshape) - len(target)
        axes = tuple(range(1, 1 + lead)) + tuple(
            1 + lead + i for i, n in enumerate(shape) if n == 1 and gshape[1 + lead + i] != 1
        )
        if axes:
            g = ops.sum(g, axis=axes, keepdims=False)
        if g.shape != target:
            g = ops.reshape(g, target)
    dtype = like.dtype
    if g.dtype != dtype and dtype.kind in "fc":
        g = ops.cast(g, dtype)
    return g


def lift(t: Any, ndim: int) -> Any:
    """A stack ``(m, *s)`` reshaped to ``(m, 1, ..., 1, *s)`` with ``1 + ndim`` axes, so it broadcasts
    against values of ``ndim`` axes the way each row broadcasts against them."""
    missing = ndim - (t.ndim - 1)
    if missing <= 0:
        return t
    return ops.reshape(t, t.shape[:1] + (1,) * missing + t.shape[1:])


def shift_axes(axis: Any, ndim: int) -> tuple[int, ...]:
    """Axes of a value with ``ndim`` axes, as axes of its batched stack (None means all of them)."""
    if axis is None:
        return tuple(range(1, ndim + 1))
    axes = axis if isinstance(axis, tuple) else (axis,)
    return tuple(1 + (a % ndim if ndim else 0) for a in axes)


def negative_axes(axis: Any, ndim: int) -> Any:
    """``axis`` of a value with ``ndim`` axes counted from the end (None: all), which names the same
    axes of its batched stack."""
    if axis is None:
        return tuple(range(-ndim, 0))
    if isinstance(axis, tuple):
        return tuple(a - ndim if a >= 0 else a for a in axis)
    return axis - ndim if axis >= 0 else axis


# ---- the fallback: the ordinary rule once per row ---------------------------------------------------
def _stack(rows: list, like_shape: tuple, dtype: Any) -> Any:
    if all(r is None for r in rows):
        return None
    raw = state.recorders is RAW
    filled = [ops.zeros(like_shape, dtype=dtype) if r is None else r for r in rows]
    if raw:
        return np.stack([np.broadcast_to(r, like_shape) for r in filled])
    return ops.stack([ops.broadcast_to(r, like_shape) for r in filled])


def looped_vjp(i: int, rule: Rule) -> Rule:
    def batched(g: Any, ans: Any, *args: Any, **params: Any) -> Any:
        like = args[i]
        rows = [rule(g[b], ans, *args, **params) for b in range(g.shape[0])]
        return _stack(rows, tuple(like.shape), like.dtype)

    return batched


def looped_jvp(rule: Rule) -> Rule:
    def batched(t: Any, ans: Any, *args: Any, **params: Any) -> Any:
        rows = [rule(t[b], ans, *args, **params) for b in range(t.shape[0])]
        return _stack(rows, tuple(ans.shape), ans.dtype)

    return batched


def looped_joint_jvp(rule: Rule) -> Rule:
    def batched(tangents: list, ans: Any, *args: Any, **params: Any) -> Any:
        m = next(t.shape[0] for t in tangents if t is not None)
        rows = [rule([None if t is None else t[b] for t in tangents], ans, *args, **params) for b in range(m)]
        return _stack(rows, tuple(ans.shape), ans.dtype)

    return batched


# ---- what the walks call ------------------------------------------------------------------------------
def batched_vjps(prim: Any) -> Sequence[Rule | None]:
    """The primitive's batched VJPs, one per argument (declared, else the per-row fallback)."""
    cached = prim._batched.get("vjps")
    if cached is None:
        declared = prim.batched_vjps or ()
        vjps = prim.vjps
        cached = prim._batched["vjps"] = _Rules(
            lambda i: declared[i] if i < len(declared) and declared[i] is not None
            else None if vjps[i] is None else looped_vjp(i, vjps[i])
        )
    return cached


def batched_jvps(prim: Any) -> tuple[Sequence[Rule | None] | None, Rule | None]:
    """(batched JVPs per argument, batched joint JVP): declared, else the per-row fallback."""
    cached = prim._batched.get("jvps")
    if cached is None:
        if prim.joint_jvp is not None:
            joint = prim.batched_joint_jvp or looped_joint_jvp(prim.joint_jvp)
            cached = (None, joint)
        else:
            declared = prim.batched_jvps or ()
            jvps = prim.jvps
            cached = (
                _Rules(
                    lambda i: declared[i] if i < len(declared) and declared[i] is not None
                    else None if jvps is None or jvps[i] is None else looped_jvp(jvps[i])
                ),
                None,
            )
        prim._batched["jvps"] = cached
    return cached


class _Rules:
    """Per-argument rules built on first use (variadic primitives have no fixed argument count)."""

    __slots__ = ("make", "built")

    def __init__(self, make: Callable[[int], Rule | None]) -> None:
        self.make = make
        self.built: dict[int, Rule | None] = {}

    def __getitem__(self, i: int) -> Rule | None:
        try:
            return self.built[i]
        except KeyError:
            rule = self.built[i] = self.make(i)
            return rule
