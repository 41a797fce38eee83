"""NumPy's ufunc methods on tensors: ``np.add.reduce``, ``np.multiply.accumulate``, ``np.maximum.outer``, ...

``Tensor.__array_ufunc__`` sends every method but ``__call__`` here (``call``). Each maps onto ops of
the rule table, so the derivatives come from there, with NumPy's defaults (``axis=0``, not None),
dtypes and errors:

  * reduce: add, multiply, maximum, minimum -> sum, prod, max, min (``initial=`` and ``where=`` for
    maximum and minimum, where they are exact; add and multiply would round differently from NumPy);
  * accumulate: add, multiply -> cumsum, cumprod; maximum, minimum -> cummax, cummin (one op each,
    running_extremes.py: the derivatives of NumPy's recurrence ``out[i] = op(out[i - 1], a[i])``, bit
    for bit), or that recurrence written out along the axis (one op per element) for complex values
    and other array libraries;
  * outer: any binary ufunc with a rule, as ``op(A[..., None, ...], B)``.

``at`` (in place) and ``reduceat`` are refused with an error that names the replacement.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tapegrad import _backend
from tapegrad._tensor import UFUNCS, Tensor, ops, wrap
from tapegrad.ops import running_extremes

_REDUCTIONS = {"add": "sum", "multiply": "prod", "maximum": "max", "minimum": "min"}
_EXTREMA = {"maximum", "minimum"}
_SCANS = {"add": "cumsum", "multiply": "cumprod"}


def call(ufunc: np.ufunc, method: str, inputs: tuple, kwargs: dict) -> Any:
    """``ufunc.<method>(*inputs, **kwargs)`` on tensors (NumPy's ``__array_ufunc__`` protocol)."""
    name = ufunc.__name__
    if method == "reduce":
        return reduce(ufunc, *inputs, **kwargs)
    if method == "accumulate":
        return accumulate(ufunc, *inputs, **kwargs)
    if method == "outer":
        return outer(ufunc, *inputs, **kwargs)
    if method == "at":
        fix = (
            "for np.add.at(a, indices, b) use a = a + tg.scatter_add(b, index=indices, shape=a.shape) "
            "(repeated indices add up, as in np.add.at)"
            if name == "add"
            else "use a = tnp.where(mask, new, a) or a = tnp.put_along_axis(a, indices, values, axis)"
        )
        raise TypeError(
            f"numpy.{name}.at changes its first argument in place, and tapegrad tensors are immutable "
            f"(the update would not be recorded); build a new tensor instead: {fix}; or call it on "
            "a.numpy() if you do not need the gradient"
        )
    if method == "reduceat":
        raise TypeError(
            f"numpy.{name}.reduceat is not supported on tapegrad tensors; reduce each segment with "
            f"np.{name}.reduce(a[i:j], axis) and put the results together with tnp.stack(..., axis), or "
            "call it on a.numpy() if you do not need the gradient"
        )
    raise TypeError(f"numpy.{name}.{method} is not supported on tapegrad tensors")


def _refuse_out(name: str, out: Any) -> None:
    if out is not None and not (isinstance(out, tuple) and all(o is None for o in out)):
        raise TypeError(f"numpy.{name} on a tapegrad Tensor does not take out=; tensors are immutable")


def _binary(ufunc: np.ufunc, method: str) -> None:
    """NumPy's own errors for a method a ufunc cannot have."""
    if ufunc.signature is not None:
        raise TypeError(f"method {method} is not allowed in ufunc with non-trivial signature")
    if ufunc.nin != 2:
        raise ValueError(f"{method} only supported for binary functions")


def _unsupported(ufunc: np.ufunc, method: str, names: Any) -> TypeError:
    listed = ", ".join(f"np.{n}.{method}" for n in names)
    return TypeError(
        f"numpy.{ufunc.__name__}.{method} has no tapegrad derivative (tapegrad implements {listed}); "
        f"call it on .numpy() values if you do not need the gradient"
    )


def _tensor(a: Any) -> Tensor:
    return a if isinstance(a, Tensor) else wrap(np.asarray(a))


def _in(dtype: Any, x: Any) -> Any:
    return x if dtype is None else ops.cast(x, np.dtype(dtype))


def reduce(
    ufunc: np.ufunc,
    array: Any,
    axis: Any = 0,
    dtype: Any = None,
    out: Any = None,
    keepdims: bool = False,
    initial: Any = np._NoValue,
    where: Any = True,
) -> Any:
    """``ufunc.reduce`` (NumPy's default ``axis=0``; None reduces over all axes)."""
    _binary(ufunc, "reduce")
    name = ufunc.__name__
    _refuse_out(f"{name}.reduce", out)
    if name not in _REDUCTIONS:
        raise _unsupported(ufunc, "reduce", _REDUCTIONS)
    has_initial = initial is not np._NoValue and initial is not None
    masked = not (where is True or isinstance(where, (bool, np.bool_)) and where)
    if name not in _EXTREMA and (has_initial or masked):
        what = "initial=" if has_initial else "where="
        raise TypeError(
            f"numpy.{name}.reduce on a tapegrad Tensor does not take {what} (its rounding would differ from "
            f"NumPy's); {'combine it with the result' if has_initial else 'mask with tnp.where first'}"
        )
    if masked and not has_initial:
        raise ValueError(
            f"reduction operation '{name}' does not have an identity, so to use a where mask one has to "
            "specify 'initial'"
        )
    a = _in(dtype, _tensor(array))
    if isinstance(axis, list):
        axis = tuple(axis)
    reduction = getattr(ops, _REDUCTIONS[name])
    if not has_initial:
        return _in(dtype, reduction(a, axis, keepdims))  # dtype=int8 sums wrap around in int8, as NumPy's
    # maximum/minimum with an initial value (and a mask): exact, whatever the order
    combine = getattr(ops, name)
    kind = _backend.numpy_dtype(a.dtype)
    # NumPy casts initial to the array's dtype; a Python number of that value mixes with any library's arrays
    start = ops.cast(initial, kind) if isinstance(initial, Tensor) else np.asarray(initial).astype(kind).item()
    if masked:
        a = ops.where(where, a, start)
    if a.size == 0:
        shape = np.sum(np.empty(a.shape, dtype=np.bool_), axis=axis, keepdims=keepdims).shape
        return ops.broadcast_to(start, shape) if isinstance(start, Tensor) else wrap(np.full(shape, start, kind))
    return combine(reduction(a, axis, keepdims), start)


def accumulate(ufunc: np.ufunc, array: Any, axis: Any = 0, dtype: Any = None, out: Any = None) -> Any:
    """``ufunc.accumulate`` along one axis (NumPy's default ``axis=0``)."""
    _binary(ufunc, "accumulate")
    name = ufunc.__name__
    _refuse_out(f"{name}.accumulate", out)
    if name not in _SCANS and name not in _EXTREMA:
        raise _unsupported(ufunc, "accumulate", [*_SCANS, *sorted(_EXTREMA)])
    a = _in(dtype, _tensor(array))
    if a.ndim == 0:
        raise TypeError("cannot accumulate on a scalar")
    if isinstance(axis, (tuple, list)) and len(axis) == 1:
        axis = axis[0]
    if axis is None or isinstance(axis, (tuple, list)):
        if a.ndim != 1 or axis not in (None, ()):
            raise ValueError("accumulate does not allow multiple axes")
        axis = 0
    axis = int(axis)
    if not -a.ndim <= axis < a.ndim:
        raise np.exceptions.AxisError(axis, a.ndim)
    axis %= a.ndim
    if name in _SCANS:
        return _in(dtype, getattr(ops, _SCANS[name])(a, axis))
    if a.shape[axis] == 0:
        return a
    if not _backend.is_foreign(a._value) and _backend.kind(a.dtype) in "fiub":
        return (running_extremes.cummax if name == "maximum" else running_extremes.cummin)(a, axis)
    return _recurrence(getattr(ops, name), a, axis)


def _recurrence(combine: Any, a: Any, axis: int) -> Any:
    """NumPy's recurrence ``out[i] = combine(out[i - 1], a[i])`` op by op: for array libraries other than
    NumPy and complex values (np.maximum compares them lexicographically), where cummax/cummin do not run."""
    lead = (slice(None),) * axis
    running = [a[lead + (0,)]]
    for i in range(1, a.shape[axis]):
        running.append(combine(running[-1], a[lead + (i,)]))
    return ops.stack(running, axis=axis)


def outer(ufunc: np.ufunc, a: Any, b: Any, **kwargs: Any) -> Any:
    """``ufunc.outer(a, b)``: ``ufunc(a[i, j, ...], b[k, l, ...])`` at ``[i, j, ..., k, l, ...]``."""
    _binary(ufunc, "outer")
    op = UFUNCS.get(ufunc)
    if op is None:
        raise TypeError(
            f"tapegrad has no derivative rule for numpy.{ufunc.__name__}, so none for numpy.{ufunc.__name__}.outer; "
            "call it on .numpy() values if you do not need the gradient"
        )
    if kwargs:
        raise TypeError(
            f"numpy.{ufunc.__name__}.outer on a tapegrad Tensor does not take {sorted(kwargs)} "
            "(out=: tensors are immutable; dtype=: cast the result)"
        )
    a = a if isinstance(a, Tensor) else np.asarray(a)
    b = b if isinstance(b, Tensor) else np.asarray(b)
    expanded = a.shape + (1,) * b.ndim
    return op(ops.reshape(a, expanded) if isinstance(a, Tensor) else a.reshape(expanded), b)
