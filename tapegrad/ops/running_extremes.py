"""Running maxima and minima (``np.maximum.accumulate``, ``np.minimum.accumulate``): one primitive each.

NumPy's accumulate is the recurrence ``out[i] = maximum(out[i - 1], a[i])``, which tapegrad recorded op by
op (one ``maximum`` per element). ``cummax``/``cummin`` compute it in one NumPy call; their derivatives
are the recurrence's under tapegrad's maximum/minimum rules (ties to the first argument, selects),
bit for bit:

  * the cotangent of ``out[i]`` reaches ``a[src(i)]``, ``src(i)`` the last index ``j <= i`` where the
    running extreme changed strictly (a tie keeps the earlier element);
  * from the first NaN on nothing flows (maximum's comparisons are false there), except to ``a[0]``
    from ``out[0]``, which is ``a[0]`` itself;
  * each ``a[j]`` gets its cotangents added from the right, ``g[j] + (g[j+1] + (... + g[m]))``, as the
    recurrence's backward pass adds them (``put``), and a tangent is ``t[src(i)]`` (``take``), plus
    the recurrence's added zero from the second element on (``-0.0`` becomes ``0.0``, as there).

``take`` and ``put`` are linear in their first argument and each other's transpose, so every order
is exact (the indices are piecewise constant in ``a``: their derivative is 0).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tapegrad._primitive import defrule, nondifferentiable, real_for_real
from tapegrad.batching import along_axes, stacks_of

__all__: list[str] = []  # reached through np.maximum.accumulate / np.minimum.accumulate


# ---- where each running extreme came from (indices along the axis; -1 where nothing flows) -----------
def _sources(a: np.ndarray, ans: np.ndarray, axis: int, largest: bool) -> np.ndarray:
    a, ans = np.moveaxis(a, axis, -1), np.moveaxis(ans, axis, -1)
    n = a.shape[-1]
    prev, cur = ans[..., :-1], a[..., 1:]
    keep, new = (prev >= cur, prev < cur) if largest else (prev <= cur, prev > cur)  # maximum's selects
    first = np.ones(a.shape[:-1] + (1,), dtype=bool)
    start = np.concatenate([first, new], axis=-1)
    src = np.maximum.accumulate(np.where(start, np.arange(n), 0), axis=-1)
    lost = np.logical_or.accumulate(np.concatenate([~first, ~(keep | new)], axis=-1), axis=-1)  # NaN onwards
    return np.moveaxis(np.where(lost, -1, src), -1, axis)


def _same_shapes(prim: Any, args: list, stacked: tuple, params: dict) -> Any:
    """Batching for ops whose arguments share one shape and whose axis counts from the end."""
    return prim(*stacks_of(args, stacked), **params)


_sources_p = nondifferentiable(_sources, "running_extremes.sources", batch=_same_shapes)


# ---- take (the JVP) and put (the VJP), each the other's transpose --------------------------------------
def _take(t: np.ndarray, src: np.ndarray, axis: int) -> np.ndarray:
    """``t[src[i]]`` along ``axis`` (0 where ``src`` is -1); the recurrence adds a zero from index 1 on."""
    out = np.where(src >= 0, np.take_along_axis(t, np.maximum(src, 0), axis=axis), 0)
    zero = np.zeros(t.shape[axis], dtype=out.dtype)
    zero[0] = -0.0  # adding -0.0 changes nothing; the recurrence's index 0 is a[0] itself
    return out + zero.reshape((-1,) + (1,) * (t.ndim - 1 - axis % t.ndim))


def _put(g: np.ndarray, src: np.ndarray, axis: int) -> np.ndarray:
    """Zeros with ``g[i]`` added at ``src[i]`` along ``axis`` (-1: dropped), from the last ``i`` to the first.

    The recurrence's backward pass adds ``g[i] + (cotangent from i + 1)``; finite values add alike in
    either order (ufunc.at below adds ``total + g[i]``), but of two NaNs the sum keeps the first's sign
    and payload, so a ``g`` holding NaN takes the recurrence's order, one index at a time."""
    out = np.zeros_like(g)
    target = np.moveaxis(out, axis, -1)  # a view
    gs, ss = np.moveaxis(g, axis, -1), np.moveaxis(src, axis, -1)
    if not np.isnan(gs).any():
        kept = np.nonzero(ss[..., ::-1] >= 0)  # C order: per lane, the last index first
        np.add.at(target, kept[:-1] + (ss[..., ::-1][kept],), gs[..., ::-1][kept])  # one by one, in that order
        return out
    n = gs.shape[-1]
    # out[i] passes on what reached out[i + 1] where a[i + 1] did not replace it
    same = np.zeros(ss.shape, dtype=bool)
    same[..., :-1] = (ss[..., 1:] == ss[..., :-1]) & (ss[..., :-1] >= 0)
    totals = np.empty_like(gs)
    total = totals[..., n - 1] = gs[..., n - 1]
    for i in range(n - 2, -1, -1):
        total = totals[..., i] = gs[..., i] + np.where(same[..., i], total, 0)
    target[...] = np.where(ss == np.arange(n), 0 + totals, 0)  # at each run's first index
    return out


_take_p = defrule(
    _take,
    vjps=(lambda g, _ans, t, src, axis: real_for_real(_put_p(g, src, axis=axis), t), None),
    jvps=(lambda t, _ans, _x, src, axis: _take_p(t, src, axis=axis), None),
    name="running_extremes.take",
    complex=True,
    batch=_same_shapes,
    taylor="linear",
)
_put_p = defrule(
    _put,
    vjps=(lambda g, _ans, x, src, axis: real_for_real(_take_p(g, src, axis=axis), x), None),
    jvps=(lambda t, _ans, _x, src, axis: _put_p(t, src, axis=axis), None),
    name="running_extremes.put",
    complex=True,
    batch=_same_shapes,
    taylor="linear",
)


# ---- cummax and cummin ----------------------------------------------------------------------------------
def _running(ufunc: np.ufunc, largest: bool, name: str) -> Any:
    def vjp(g, ans, x, axis):
        axis = axis - x.ndim if axis >= 0 else axis  # from the end: the same axis of a stack
        return real_for_real(_put_p(g, _sources_p(x, ans, axis=axis, largest=largest), axis=axis), x)

    def jvp(t, ans, x, axis):
        axis = axis - x.ndim if axis >= 0 else axis
        return _take_p(t, _sources_p(x, ans, axis=axis, largest=largest), axis=axis)

    return defrule(
        lambda a, axis: ufunc.accumulate(a, axis=axis),
        vjps=(vjp,),
        jvps=(jvp,),
        name=name,
        batch=along_axes,
        taylor="linear",  # linear where differentiable: Taylor coefficients go through the JVP
    )


_cummax_p = _running(np.maximum, True, "cummax")
_cummin_p = _running(np.minimum, False, "cummin")


def cummax(x: Any, axis: int = 0) -> Any:
    """``np.maximum.accumulate(x, axis)``: the running maximum, one op (ties keep the earlier element)."""
    return _cummax_p(x, axis=int(axis))


def cummin(x: Any, axis: int = 0) -> Any:
    """``np.minimum.accumulate(x, axis)``: the running minimum, one op (ties keep the earlier element)."""
    return _cummin_p(x, axis=int(axis))
