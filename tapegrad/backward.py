"""The reverse walk over a tape's records, and what gradient() does around it.

Records are kept in execution order (a Wengert list), so the walk is one reversed loop with a dict
of cotangents keyed by tensor keys (``Tensor._key``: unique ints, so a record need not keep the
tensors themselves alive). Records have the layout of ``_record.Record``, unpacked here by name.

Complex numbers follow TensorFlow's (and PyTorch's) convention: for a real loss L of z = x + iy the
gradient is dL/dx + i dL/dy, the direction of steepest ascent (so ``z -= lr * grad`` descends), e.g.
|z*z|**2 at 1+2j has gradient 20+40j. JAX's ``grad`` gives the conjugate, dL/dx - i dL/dy. A
complex target, or complex ``output_gradients`` v, means L = Re(sum(conj(v) * target)) (v = 1 by
default); for holomorphic f the gradient is then v * conj(f'(z)). Internally every rule is the
transpose of its JVP for the bilinear pairing Re(sum(a * b)) (JAX's), so holomorphic ops need no
conjugation and the real hot path no check: only the seed and the result are conjugated
(``seed_value``, ``finish``), and only the non-holomorphic ops (abs, real, imag, conj, angle, var,
norm, cholesky, ...) say how real and imaginary parts move.
"""

from __future__ import annotations

import enum
from typing import Any, Iterable

import numpy as np

from tapegrad import _backend, _context
from tapegrad._context import RAW
from tapegrad._dtypes import python_to_array
from tapegrad._record import Meta
from tapegrad._structure import flatten
from tapegrad._tensor import Tensor, Variable, ops, wrap
from tapegrad.batching import direct_vjp, stacked_vjp


class UnconnectedGradients(enum.Enum):
    """What gradient() gives for a source the target does not depend on."""

    NONE = "none"
    ZERO = "zero"


def walk(
    records: list, count: int, grads: dict, wanted: Iterable[int], raw: bool, consume: bool = False,
    batched: bool = False,
) -> dict:  # fmt: skip
    """Propagate the cotangents in ``grads`` back through ``records[:count]``.

    Returns the cotangents of the ``wanted`` keys; ``grads`` is consumed. With ``raw`` the rules
    get plain NumPy values and nothing is recorded; otherwise they get Tensors, so an enclosing
    tape records the backward computation. With ``consume`` each record is dropped once used, so a
    non-persistent tape frees its forward values while the backward pass allocates cotangents.
    With ``batched`` every cotangent carries a leading batch axis (a stack of them, one per row of
    a Jacobian) and the rules run on stacks (tapegrad.batching).
    """
    if wanted.__class__ is not set:
        wanted = set(wanted)
    found: dict = {}
    pop, get = grads.pop, grads.get
    saved = _context.state.recorders
    if raw:
        _context.state.recorders = RAW
    try:
        for k in range(count - 1, -1, -1):
            record = records[k]
            if consume:
                records[k] = None
            prim, inputs, params, ans, needs, keys, key = record
            g = pop(key, None)
            if g is None:
                if key.__class__ is not tuple:
                    continue
                # several outputs: a tuple of cotangents, None where none came
                g = tuple([pop(kj, None) for kj in key])
                if all(gj is None for gj in g):
                    continue
                found.update((kj, gj) for kj, gj in zip(key, g) if kj in wanted and gj is not None)
            elif key in wanted:
                found[key] = g
            if not raw:
                inputs, ans = as_tensors(record)
            vjps = prim.vjps
            if vjps is None or batched:  # a joint rule (or stacks): every needed cotangent at once
                if batched:
                    # elementwise ops from their partials, matmul by its own rules (plain values in a raw walk)
                    direct = prim.partials is not None or prim.batched_vjps is not None
                    grads_in = direct_vjp(prim, g, ans, needs, inputs, params, raw) if direct else None
                    if grads_in is None:
                        if raw:  # stacks need their ops' batching rules, which RAW calls skip
                            inputs, ans = as_tensors(record)
                            _context.state.recorders = ()
                        grads_in = stacked_vjp(prim, g, ans, needs, inputs, params, raw)
                        if raw:
                            _context.state.recorders = RAW
                else:
                    grads_in = prim.joint_vjp(g, ans, needs, *inputs, **params)
                for i in needs:
                    gi = grads_in[i]
                    if gi is not None:
                        ki = keys[i]
                        prev = get(ki)
                        grads[ki] = gi if prev is None else prev + gi
                continue
            arity = len(inputs)
            for i in needs:
                rule = vjps[i]
                if rule is None:  # an argument without a derivative (a where() condition)
                    continue
                if params:
                    gi = rule(g, ans, *inputs, **params)
                elif arity == 1:  # spelled out: a call with *inputs costs a tuple per record
                    gi = rule(g, ans, inputs[0])
                elif arity == 2:
                    gi = rule(g, ans, inputs[0], inputs[1])
                else:
                    gi = rule(g, ans, *inputs)
                if gi is None:
                    continue
                ki = keys[i]
                prev = get(ki)
                grads[ki] = gi if prev is None else prev + gi
    finally:
        _context.state.recorders = saved
    for key in wanted:
        if key not in found and key in grads:
            found[key] = grads[key]
    return found


def as_tensors(record: tuple) -> tuple[tuple, Any]:
    """A record's arguments and output(s) as Tensors with their keys, for rules an outer tape records.

    A Tensor is its value and its key, so these stand for the originals on every tape; arguments
    that were not Tensors (key None) and values the record did not keep (Meta) stay as they are.
    """
    prim, vals, params, ans, needs, keys, key = record
    inputs = tuple([v if k is None or v.__class__ is Meta else keyed(v, k) for v, k in zip(vals, keys)])
    if key.__class__ is tuple:
        return inputs, tuple([a if a.__class__ is Meta else keyed(a, k) for a, k in zip(ans, key)])
    return inputs, (ans if ans.__class__ is Meta else keyed(ans, key))


def keyed(value: Any, key: int) -> Tensor:
    t = wrap(value)
    t._key = key
    return t


def as_target_list(target: Any, what: str = "target") -> list[Tensor]:
    """The flat list of target tensors (a nested list of targets means their sum)."""
    if target.__class__ is Tensor:
        return [target]
    leaves, _ = flatten(target)
    out = []
    for t in leaves:
        if isinstance(t, Variable):
            t = t._snapshot if t._snapshot is not None else t.read_value()
        if not isinstance(t, Tensor):
            raise TypeError(
                f"gradient(): the {what} must be a tg.Tensor (or a list of them), got {type(t).__name__}; "
                "compute it with tapegrad ops inside the tape's `with` block"
            )
        out.append(t)
    if not out:
        raise ValueError(f"gradient(): the {what} is empty")
    return out


def seed_value(target: Tensor, given: Any, raw: bool) -> Any:
    """The starting cotangent of ``target``: ones, or the user's ``output_gradients`` (checked)."""
    value = target._value
    dtype = value.dtype
    if given is None:
        if value.__class__ is np.ndarray:
            value = np.ones(value.shape, dtype=dtype)
        elif isinstance(value, np.generic) or not _backend.is_foreign(value):  # (a NumPy scalar: no call)
            value = dtype.type(1)
        else:  # ones of the target's library
            value = _backend.ones(value.shape, dtype, like=value)
        return value if raw else wrap(value)
    shape = np.shape(target._value)
    if isinstance(given, Variable):
        given = given.read_value()
    given_value = given._value if isinstance(given, Tensor) else given
    given_complex = (
        _backend.kind(given_value.dtype) == "c" if hasattr(given_value, "dtype") else np.iscomplexobj(given_value)
    )
    if _backend.kind(dtype) != "c" and given_complex:
        raise TypeError(
            f"output_gradients is complex but its target has dtype {dtype}: a real target takes real "
            "cotangents (its imaginary part would be dropped); give a real array"
        )
    value = given._value if isinstance(given, Tensor) else python_to_array(given, dtype)
    if np.shape(value) != shape:
        raise ValueError(
            f"output_gradients has shape {np.shape(value)} but its target has shape {shape}; "
            "give one cotangent per target, shaped like it"
        )
    if _backend.kind(dtype) == "c":  # the walk carries conjugate cotangents (see finish)
        if raw:
            return np.conj(np.asarray(value, dtype=dtype))
        return ops.conj(given if isinstance(given, Tensor) else wrap(value))
    if raw:
        return value if value.dtype == dtype else value.astype(dtype)
    if isinstance(given, Tensor):
        return given if given.dtype == dtype else ops.cast(given, dtype)
    return wrap(value)


def finish(grad: Any, source: Tensor, unconnected: UnconnectedGradients, rows: int | None = None) -> Any:
    """Turn a walk's cotangent into the user's gradient: a Tensor of the source's dtype (or None).

    With ``rows``, ``grad`` is a stack of that many (a batched walk's) and the result has shape
    ``(rows, *source.shape)``.
    """
    value = source._value
    shape = value.shape if rows is None else (rows, *value.shape)
    if grad is None:
        if unconnected is UnconnectedGradients.ZERO:
            return wrap(_backend.zeros(shape, value.dtype, like=value))
        return None
    if rows is None and grad.__class__ is value.__class__ and grad.__class__ is not Tensor:
        dtype = grad.dtype
        if (dtype is value.dtype or dtype == value.dtype) and (grad.__class__ is not np.ndarray or grad.shape == shape):
            try:
                kind = dtype.kind
            except AttributeError:  # the dtype object of an array-API library (_backend)
                kind = _backend.kind(dtype)
            if kind != "c":
                return wrap(grad)  # the common case: as it is
    dtype = value.dtype
    if dtype.kind == "c":  # the walk gives dL/dx - i dL/dy: its conjugate (see the module docstring)
        if isinstance(grad, Tensor):
            grad = ops.conj(grad)
        else:
            grad = _backend.namespace(grad).conj(grad) if _backend.is_foreign(grad) else np.conj(grad)
    if grad.__class__ is not np.ndarray and not isinstance(grad, Tensor) and _backend.is_foreign(grad):  # (Dask: lazy)
        return wrap(_backend.conform(grad, dtype, shape))
    if not isinstance(grad, Tensor):
        grad = np.asarray(grad)
        if grad.dtype.kind == "c" and dtype.kind != "c":
            grad = grad.real
        if grad.dtype != dtype:
            grad = grad.astype(dtype)
        if grad.shape != shape:
            grad = np.broadcast_to(grad, shape).copy()
        return wrap(grad if grad.ndim else grad[()])
    if grad.dtype != dtype:
        grad = ops.cast(grad, dtype)
    return grad if grad.shape == shape else ops.broadcast_to(grad, shape)


def as_unconnected(value: Any) -> UnconnectedGradients:
    if isinstance(value, UnconnectedGradients):
        return value
    try:
        return UnconnectedGradients(str(value).lower())
    except ValueError:
        raise ValueError(
            f"unconnected_gradients must be tg.UnconnectedGradients.NONE or .ZERO, got {value!r}"
        ) from None
