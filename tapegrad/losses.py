"""Loss functions written in tapegrad ops, so they are differentiable to any order.

Every loss takes ``(y_true, y_pred)`` (labels first, as in Keras) and by default returns one
scalar, the mean over all samples (Keras's ``Loss`` objects with their default reduction).
``reduction="sum"`` sums the per-sample losses instead and ``reduction="none"`` returns them
unreduced: for the regression and binary losses that is the mean over the last axis (what
Keras's loss *functions* return), for ``sparse_softmax_cross_entropy`` one value per label.

``y_true`` is converted to ``y_pred``'s dtype (a float32 prediction gives a float32 loss) and is
never differentiated through unless it is itself a watched tensor. Shapes must match, except that
``y_pred`` of shape ``(n, 1)`` with ``y_true`` of shape ``(n,)`` (or the reverse) is accepted as
Keras does; any other mismatch is an error rather than a silent broadcast to ``(n, n)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tapegrad._dtypes import default_float
from tapegrad._tensor import Tensor, as_tensor, ops, wrap
from tapegrad.ops.activations import log_softmax, softplus

__all__ = [
    "mean_squared_error",
    "mean_absolute_error",
    "huber",
    "binary_crossentropy",
    "categorical_crossentropy",
    "sparse_softmax_cross_entropy",
    "log_softmax",
    "softplus",
    "mse",
    "mae",
]

EPSILON = 1e-7  # Keras's backend epsilon: probabilities are clipped to [EPSILON, 1 - EPSILON]
_REDUCTIONS = ("mean", "sum", "none")


# ---- helpers ------------------------------------------------------------------------------------
def _prediction(y_pred: Any, what: str) -> Tensor:
    pred = as_tensor(y_pred)
    if pred.dtype.kind != "f":
        pred = ops.cast(pred, default_float())
    return pred


def _target(y_true: Any, pred: Tensor, what: str) -> Tensor:
    """``y_true`` as a tensor of ``pred``'s dtype and shape (a trailing axis of size 1 may differ)."""
    if isinstance(y_true, Tensor):
        true = as_tensor(y_true)
        if true.dtype != pred.dtype:
            true = ops.cast(true, pred.dtype)
    else:
        raw = np.asarray(y_true)
        if raw.dtype.kind not in "fiub":
            raise TypeError(f"{what}: y_true must be numeric, got dtype {raw.dtype}")
        true = wrap(raw.astype(pred.dtype)[()] if raw.ndim == 0 else raw.astype(pred.dtype))
    ts, ps = true.shape, pred.shape
    if ts != ps:
        if len(ts) == len(ps) + 1 and ts[-1] == 1 and ts[:-1] == ps:
            true = ops.reshape(true, ps)
        elif len(ps) == len(ts) + 1 and ps[-1] == 1 and ps[:-1] == ts:
            true = ops.reshape(true, ps)
        else:
            raise ValueError(
                f"{what}: y_true has shape {ts} but y_pred has shape {ps}; they must match "
                "(reshape one of them; broadcasting here would compare every sample with every other)"
            )
    return true


def _reduce(per_element: Any, reduction: str, what: str, last_axis: bool = True) -> Any:
    """Average over the last axis (the per-sample loss), then reduce over the samples."""
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{what}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    if reduction == "mean":
        return ops.mean(per_element)  # mean of equal-length means == mean of everything
    per_sample = ops.mean(per_element, axis=-1) if last_axis and per_element.ndim else per_element
    if reduction == "sum":
        return ops.sum(per_sample)
    return per_sample


def _stop(x: Tensor) -> Tensor:
    """A constant copy of ``x``'s value that no tape follows (for numerical shifts)."""
    return wrap(x._value)


# ---- regression losses --------------------------------------------------------------------------
def mean_squared_error(y_true: Any, y_pred: Any, reduction: str = "mean") -> Tensor:
    """mean((y_pred - y_true)**2)."""
    pred = _prediction(y_pred, "mean_squared_error")
    diff = pred - _target(y_true, pred, "mean_squared_error")
    return _reduce(ops.square(diff), reduction, "mean_squared_error")


def mean_absolute_error(y_true: Any, y_pred: Any, reduction: str = "mean") -> Tensor:
    """mean(|y_pred - y_true|); the gradient at an exact fit is 0 (TensorFlow's abs'(0) = 0)."""
    pred = _prediction(y_pred, "mean_absolute_error")
    diff = pred - _target(y_true, pred, "mean_absolute_error")
    return _reduce(ops.abs(diff), reduction, "mean_absolute_error")


def huber(y_true: Any, y_pred: Any, delta: float = 1.0, reduction: str = "mean") -> Tensor:
    """Huber loss (Keras): 0.5 e**2 where |e| <= delta, else delta * |e| - 0.5 delta**2, e = y_pred - y_true."""
    if not float(delta) > 0:
        raise ValueError(f"huber: delta must be positive, got {delta}")
    pred = _prediction(y_pred, "huber")
    error = pred - _target(y_true, pred, "huber")
    abs_error = ops.abs(error)
    delta = float(delta)
    per_element = ops.where(abs_error <= delta, 0.5 * ops.square(error), delta * abs_error - 0.5 * delta * delta)
    return _reduce(per_element, reduction, "huber")


# ---- classification losses --------------------------------------------------------------------
def binary_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False, reduction: str = "mean") -> Tensor:
    """-(y log p + (1 - y) log(1 - p)), averaged.

    With ``from_logits=False`` (Keras's default) ``y_pred`` holds probabilities, clipped to
    [1e-7, 1 - 1e-7] as Keras does. With ``from_logits=True`` it holds logits and the loss is
    computed stably as softplus(x) - y x (no overflow for large |x|).
    """
    what = "binary_crossentropy"
    pred = _prediction(y_pred, what)
    true = _target(y_true, pred, what)
    if from_logits:
        per_element = softplus(pred) - true * pred
    else:
        p = ops.clip(pred, EPSILON, 1.0 - EPSILON)
        per_element = -(true * ops.log(p) + (1 - true) * ops.log(1 - p))
    return _reduce(per_element, reduction, what)


def categorical_crossentropy(
    y_true: Any, y_pred: Any, from_logits: bool = False, axis: int = -1, reduction: str = "mean"
) -> Tensor:
    """-sum(y_true * log p) over the class axis, for one-hot (or soft) labels.

    ``from_logits=False``: ``y_pred`` holds probabilities, renormalised to sum to 1 and clipped to
    [1e-7, 1 - 1e-7] (Keras). ``from_logits=True``: log-probabilities come from a stable log_softmax.
    """
    what = "categorical_crossentropy"
    pred = _prediction(y_pred, what)
    true = _target(y_true, pred, what)
    if pred.ndim == 0:
        raise ValueError(f"{what}: y_pred needs a class axis, got a scalar")
    if from_logits:
        logp = log_softmax(pred, axis=axis)
    else:
        p = pred / ops.sum(pred, axis=axis, keepdims=True)
        logp = ops.log(ops.clip(p, EPSILON, 1.0 - EPSILON))
    per_sample = -ops.sum(true * logp, axis=axis)
    return _reduce(per_sample, reduction, what, last_axis=False)


def sparse_softmax_cross_entropy(labels: Any, logits: Any, reduction: str = "mean") -> Tensor:
    """Cross-entropy of integer class ``labels`` against unnormalised ``logits``, mean over the batch.

    ``logits`` has shape ``(..., num_classes)`` and ``labels`` shape ``(...)`` (or ``(..., 1)``)
    with integers in ``[0, num_classes)``. Computed as -log_softmax(logits)[label], stable for
    any size of logits. Its gradient w.r.t. the logits is (softmax(logits) - one_hot(labels)) / n.
    """
    what = "sparse_softmax_cross_entropy"
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{what}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    z = _prediction(logits, what)
    if z.ndim == 0:
        raise ValueError(f"{what}: logits need a class axis (shape (batch, num_classes)), got a scalar")
    lab = np.asarray(labels._value if isinstance(labels, Tensor) else labels)
    if lab.ndim == z.ndim and lab.shape[-1:] == (1,):
        lab = lab.reshape(lab.shape[:-1])
    if lab.shape != z.shape[:-1]:
        raise ValueError(
            f"{what}: labels of shape {lab.shape} do not fit logits of shape {z.shape}; "
            f"labels need shape {z.shape[:-1]} (one class index per row of logits)"
        )
    if lab.dtype.kind == "f":
        if not np.all(np.equal(np.mod(lab, 1), 0)):
            raise ValueError(f"{what}: labels must be integer class indices, got non-integral floats")
        lab = lab.astype(np.int64)
    elif lab.dtype.kind not in "iu":
        raise TypeError(f"{what}: labels must be integer class indices, got dtype {lab.dtype}")
    num_classes = z.shape[-1]
    if lab.size and (lab.min() < 0 or lab.max() >= num_classes):
        raise ValueError(
            f"{what}: labels must lie in [0, {num_classes}) for logits with {num_classes} classes; "
            f"got values from {lab.min()} to {lab.max()}"
        )
    one_hot = (lab[..., None] == np.arange(num_classes)).astype(z.dtype)
    per_sample = -ops.sum(wrap(one_hot) * log_softmax(z, axis=-1), axis=-1)
    return _reduce(per_sample, reduction, what, last_axis=False)


mse = mean_squared_error
mae = mean_absolute_error
