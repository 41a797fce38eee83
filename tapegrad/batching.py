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

import math
from typing import Any, Callable, Sequence

import numpy as np

from tapegrad._context import RAW, state
from tapegrad._record import Meta
from tapegrad._tensor import Tensor, ops

Rule = Callable[..., Any]


def negative_axes(axis: Any, ndim: int) -> Any:
    """``axis`` of a value with ``ndim`` axes counted from the end (None: all), which names the same
    axes of its batched stack."""
    if axis is None:
        return tuple(range(-ndim, 0))
    if isinstance(axis, tuple):
        return tuple(a - ndim if a >= 0 else a for a in axis)
    return axis - ndim if axis >= 0 else axis


# ---- rules that broadcast over leading axes ----------------------------------------------------------
def batch_by_broadcasting(*prims: Any) -> None:
    """Batched rules for primitives whose ordinary rules already broadcast over leading axes
    (reductions that name their axes by an ``axis`` parameter, matrix functions of the last two
    axes): the rule runs once with the primal values broadcast to the stack's length (views) and
    the axes counted from the end. ``tests/ops/test_batched_rules.py`` holds each one to its rows."""
    for prim in prims:
        prim.batched_vjps = tuple(None if r is None else _broadcasting(r) for r in prim.vjps)
        prim.batched_jvps = tuple(None if r is None else _broadcasting(r) for r in prim.jvps)


def _broadcasting(rule: Rule) -> Rule:
    def batched(stack: Any, ans: Any, *args: Any, **params: Any) -> Any:
        m = _rows(stack)
        if "axis" in params:
            params = {**params, "axis": negative_axes(params["axis"], args[0].ndim)}
        return rule(stack, _repeated(ans, m), *[_repeated(a, m) for a in args], **params)

    return batched


def _repeated(value: Any, m: int) -> Any:
    """``value`` as a stack of m copies: a broadcast view (or a stand-in's shape)."""
    if value.__class__ is tuple:  # the outputs of a multi-output op
        return tuple(_repeated(v, m) for v in value)
    if isinstance(value, Meta):
        return Meta.of((m, *value.shape), value.dtype)
    if isinstance(value, (np.ndarray, np.generic, Tensor)):
        return ops.broadcast_to(value, (m, *value.shape))
    return value


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
        rows = [rule(_row(g, b), ans, *args, **params) for b in range(_rows(g))]
        return _stack(rows, tuple(like.shape), like.dtype)

    return batched


def looped_joint_vjp(rule: Rule) -> Rule:
    """A joint VJP once per row: all the arguments' cotangents of a row at once, then stacked."""

    def batched(g: Any, ans: Any, needs: Sequence[int], *args: Any, **params: Any) -> list:
        rows = [rule(_row(g, b), ans, needs, *args, **params) for b in range(_rows(g))]
        out: list = [None] * len(args)
        for i in needs:
            out[i] = _stack([row[i] for row in rows], tuple(args[i].shape), args[i].dtype)
        return out

    return batched


def _rows(stack: Any) -> int:
    """The batch length of a stack, or of the first stack of a tuple (one per output)."""
    if stack.__class__ is tuple:
        return next(s.shape[0] for s in stack if s is not None)
    return stack.shape[0]


def _row(stack: Any, b: int) -> Any:
    if stack.__class__ is tuple:
        return tuple(None if s is None else s[b] for s in stack)
    return stack[b]


def looped_jvp(rule: Rule) -> Rule:
    def batched(t: Any, ans: Any, *args: Any, **params: Any) -> Any:
        rows = [rule(t[b], ans, *args, **params) for b in range(t.shape[0])]
        return _stacked_outputs(rows, ans)

    return batched


def looped_joint_jvp(rule: Rule) -> Rule:
    def batched(tangents: list, ans: Any, *args: Any, **params: Any) -> Any:
        m = next(t.shape[0] for t in tangents if t is not None)
        rows = [rule([None if t is None else t[b] for t in tangents], ans, *args, **params) for b in range(m)]
        return _stacked_outputs(rows, ans)

    return batched


def _stacked_outputs(rows: list, ans: Any) -> Any:
    if ans.__class__ is tuple:  # several outputs: one stack each
        return tuple(
            _stack([None if r is None else r[j] for r in rows], tuple(a.shape), a.dtype) for j, a in enumerate(ans)
        )
    return _stack(rows, tuple(ans.shape), ans.dtype)


# ---- how many rows per walk ---------------------------------------------------------------------------
STACK_BYTES = 1 << 27  # a walk's widest stack of cotangents or tangents stays under 128 MiB


def rows_per_walk(records: Sequence[tuple], rows: int, parallel_iterations: Any = None) -> int:
    """How many rows of a Jacobian one batched walk takes: all of them unless the stacks would
    outgrow ``STACK_BYTES`` (each is rows x the widest recorded value), or TensorFlow's
    ``parallel_iterations`` asks for fewer."""
    widest = 1
    for _prim, _vals, _params, ans, _needs, _keys, key in records:
        for value in ans if key.__class__ is tuple else (ans,):  # arrays, or Meta stand-ins
            widest = max(widest, math.prod(value.shape) * value.dtype.itemsize)
    step = max(1, STACK_BYTES // widest)
    if parallel_iterations is not None:
        step = min(step, max(1, int(parallel_iterations)))
    return min(rows, step)


def chunks(rows: int, step: int) -> list[slice]:
    return [slice(start, min(start + step, rows)) for start in range(0, rows, step)]


def in_chunks(
    records: Sequence[tuple], rows: int, walk_rows: Callable[[slice], list], zeros: Callable[[int, int], Any],
    parallel_iterations: Any = None,
) -> list:
    """The Jacobian chunking both walks share: ``walk_rows(rows)`` gives, per result, a stack for
    those rows (or None); the chunks' stacks are joined per result (None where all are None, zeros
    ``zeros(result, n)`` filling a chunk that gave None)."""
    pieces_of_rows = chunks(rows, rows_per_walk(records, rows, parallel_iterations)) if rows else []
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


# ---- what the walks call ------------------------------------------------------------------------------
def batched_vjps(prim: Any) -> Sequence[Rule | None] | None:
    """The primitive's batched VJPs, one per argument (declared, else the per-row fallback);
    None for a primitive with a joint VJP (``batched_joint_vjp``)."""
    cached = prim._batched.get("vjps")
    if cached is None:
        vjps = prim.vjps
        if vjps is None:
            return None
        declared = prim.batched_vjps or ()
        cached = prim._batched["vjps"] = _Rules(
            lambda i: declared[i] if i < len(declared) and declared[i] is not None
            else None if vjps[i] is None else looped_vjp(i, vjps[i])
        )
    return cached


def batched_joint_vjp(prim: Any) -> Rule:
    """The joint VJP for stacks of cotangents (the per-row fallback)."""
    cached = prim._batched.get("joint_vjp")
    if cached is None:
        cached = prim._batched["joint_vjp"] = looped_joint_vjp(prim.joint_vjp)
    return cached


def batched_jvps(prim: Any) -> tuple[Sequence[Rule | None] | None, Rule | None]:
    """(batched JVPs per argument, batched joint JVP): declared, else the per-row fallback."""
    cached = prim._batched.get("jvps")
    if cached is None:
        jvps = prim.jvps
        if jvps is None:
            joint = prim.batched_joint_jvp or looped_joint_jvp(prim.joint_jvp)
            cached = (None, joint)
        else:
            declared = prim.batched_jvps or ()
            cached = (
                _Rules(
                    lambda i: declared[i] if i < len(declared) and declared[i] is not None
                    else None if jvps[i] is None else looped_jvp(jvps[i])
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
