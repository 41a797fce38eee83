"""Numerical differentiation and gradient checking against it.

``check_grads`` tests forward mode (JVP) and reverse mode (VJP) against central finite differences,
and against each other (<v, J u> == <J^T v, u>), then recurses: the VJP and the JVP are functions of
the inputs too, so order 2 checks "VJP of VJP of f", "JVP of VJP of f", and so on.

Complex inputs and outputs are checked along the real and the imaginary directions: the random
directions u are complex, and the reverse mode is compared, in tapegrad's (TensorFlow's)
convention, with the finite-difference derivatives of L = Re(sum(conj(v) * f)) along the real
and the imaginary part of each input, dL/dx + i dL/dy.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from tapegrad._structure import flatten
from tapegrad._tensor import Tensor, wrap
from tapegrad.forward import ForwardAccumulator
from tapegrad.tape import GradientTape

Function = Callable[..., Any]


def _as_array(x: Any) -> np.ndarray:
    if isinstance(x, Tensor):
        x = x._value
    return np.asarray(x)


def _call(f: Function, arrays: Sequence[np.ndarray]) -> np.ndarray:
    out = np.asarray(_as_array(f(*[wrap(a if a.ndim else a[()]) for a in arrays])))
    return out.astype(np.complex128 if out.dtype.kind == "c" else np.float64)


def _wide(a: Any) -> np.ndarray:
    """float64, or complex128 for complex values."""
    a = np.asarray(a)
    return np.array(a, dtype=np.complex128 if a.dtype.kind == "c" else np.float64)


def default_step(dtype: Any) -> float:
    """Central differences balance truncation (h^2) and rounding (eps/h): h ~ eps^(1/3)."""
    return float(np.finfo(np.dtype(dtype) if np.dtype(dtype).kind == "f" else np.float64).eps) ** (1 / 3)


def numerical_gradient(f: Function, *args: Any, eps: float | None = None) -> list[np.ndarray]:
    """Central-difference derivatives of ``f`` w.r.t. each argument.

    For a scalar ``f`` each entry is shaped like its argument; otherwise it is the Jacobian, shaped
    ``f(...).shape + arg.shape``. The step is relative: ``eps * max(1, |x_i|)``. For a complex
    argument the entry is d/dx + i d/dy (x, y its real and imaginary parts), tapegrad's convention.
    """
    arrays = [np.array(_as_array(a), dtype=np.result_type(_as_array(a), np.float32)) for a in args]
    out_shape = _call(f, arrays).shape
    result = []
    for a in arrays:
        h0 = default_step(a.dtype) if eps is None else eps
        directions = (1.0, 1j) if a.dtype.kind == "c" else (1.0,)
        jac = np.zeros(out_shape + a.shape, dtype=np.complex128 if len(directions) == 2 else np.float64)
        flat = a.reshape(-1)
        for i in range(flat.size):
            orig = flat[i]
            h = h0 * max(1.0, abs(orig))
            for direction in directions:
                flat[i] = orig + h * direction
                plus = _call(f, arrays)
                flat[i] = orig - h * direction
                minus = _call(f, arrays)
                flat[i] = orig
                jac.reshape(out_shape + (-1,))[..., i] += direction * (plus - minus) / (2 * h)
        result.append(jac)
    return result


def _vjp(f: Function, arrays: list[np.ndarray], v: np.ndarray) -> list[np.ndarray]:
    xs = [wrap(a if a.ndim else a[()]) for a in arrays]
    with GradientTape() as tape:
        tape.watch(xs)
        y = f(*xs)
    grads = tape.gradient(y, xs, output_gradients=v)
    return [np.zeros_like(a) if g is None else _wide(_as_array(g)) for g, a in zip(grads, arrays)]


def _jvp(f: Function, arrays: list[np.ndarray], us: list[np.ndarray]) -> np.ndarray:
    xs = [wrap(a if a.ndim else a[()]) for a in arrays]
    with ForwardAccumulator(xs, [u if u.ndim else u[()] for u in us]) as acc:
        y = f(*xs)
    t = acc.jvp(y)
    return np.zeros(np.shape(_as_array(y))) if t is None else _wide(_as_array(t))


def _report(level: str, what: str, analytic: np.ndarray, numeric: np.ndarray, rtol: float, atol: float) -> None:
    analytic = np.asarray(analytic).reshape(-1)
    numeric = np.asarray(numeric).reshape(-1)
    if analytic.dtype.kind == "c" or numeric.dtype.kind == "c":  # real parts, then imaginary parts
        analytic = np.concatenate([analytic.real, analytic.imag]).astype(np.float64)
        numeric = np.concatenate([numeric.real, numeric.imag]).astype(np.float64)
    analytic, numeric = analytic.astype(np.float64), numeric.astype(np.float64)
    err = np.abs(analytic - numeric)
    bad = err > atol + rtol * np.abs(numeric)
    if not bad.any() and (np.isfinite(analytic) == np.isfinite(numeric)).all():  # non-finite at the same places
        return
    rel = err / np.maximum(np.abs(numeric), 1e-300)
    order = np.argsort(-np.where(np.isnan(err), np.inf, err))[:5]
    lines = [f"{level}: {what} disagree (rtol={rtol:g}, atol={atol:g}); worst elements:",
             "  index   analytic               numeric                rel. error"]
    lines += [f"  {i:<7d} {analytic[i]:<22.15g} {numeric[i]:<22.15g} {rel[i]:.3g}" for i in order]
    raise AssertionError("\n".join(lines))


def check_grads(
    f: Function,
    *args: Any,
    order: int = 2,
    modes: Sequence[str] = ("forward", "reverse"),
    eps: float | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    seed: int = 0,
    _level: str = "f",
) -> None:
    """Check ``f``'s derivatives up to ``order`` against finite differences; AssertionError if wrong.

    Every check runs in a random direction u (inputs) and v (outputs). The message names the level
    that failed ("VJP of JVP of f") and lists the worst elements.
    """
    unknown = set(modes) - {"forward", "reverse"}
    if unknown:
        raise ValueError(f"check_grads modes must be 'forward' and/or 'reverse', got {sorted(unknown)}")
    if _level == "f":
        f = _flat_output(f)
    arrays = [_wide(_as_array(a)) for a in args]
    rng = np.random.default_rng(seed)
    y0 = _call(f, arrays)
    us = [_direction(rng, a) for a in arrays]
    v = _direction(rng, y0)
    h = default_step(np.float64) if eps is None else eps
    rtol = 1e-6 if rtol is None else rtol
    atol = 1e-6 if atol is None else atol

    def shifted(sign: float) -> np.ndarray:
        return _call(f, [a + sign * h * u for a, u in zip(arrays, us)])

    numeric_ju = (shifted(1.0) - shifted(-1.0)) / (2 * h)
    if "forward" in modes:
        ju = _jvp(f, arrays, us)
        _report(_level, "forward mode J u and central differences", ju, numeric_ju, rtol, atol)
    if "reverse" in modes:
        jtv = _vjp(f, arrays, v.astype(y0.dtype) if v.ndim else v[()])
        numeric = numerical_gradient(lambda *xs: _contract(f(*xs), v), *arrays, eps=eps)
        for k, (g, n) in enumerate(zip(jtv, numeric)):
            _report(_level, f"reverse mode J^T v (argument {k}) and central differences", g, n, rtol, atol)
        if "forward" in modes:
            lhs = float(np.vdot(v, ju).real)  # Re <v, J u> = Re <J^T v, u>, the pairing of L's derivative
            rhs = float(sum(np.vdot(g, u).real for g, u in zip(jtv, us)))
            what = "<v, J u> (forward) and <J^T v, u> (reverse)"
            _report(_level, what, np.array([rhs]), np.array([lhs]), 1e-10, 1e-12)
    if order > 1:
        if "reverse" in modes:
            def vjp_of_f(*xs: Any) -> Any:
                with GradientTape() as tape:
                    tape.watch(list(xs))
                    y = f(*xs)
                grads = tape.gradient(y, list(xs), output_gradients=wrap(v if v.ndim else v[()]))
                return _concat([g if g is not None else xs[i] * 0 for i, g in enumerate(grads)])

            check_grads(vjp_of_f, *arrays, order=order - 1, modes=modes, eps=eps, rtol=rtol, atol=atol,
                        seed=seed + 1, _level=f"VJP of {_level}")
        if "forward" in modes:
            def jvp_of_f(*xs: Any) -> Any:
                with ForwardAccumulator(list(xs), [wrap(u if u.ndim else u[()]) for u in us]) as acc:
                    y = f(*xs)
                t = acc.jvp(y)
                return t if t is not None else y * 0

            check_grads(jvp_of_f, *arrays, order=order - 1, modes=modes, eps=eps, rtol=rtol, atol=atol,
                        seed=seed + 2, _level=f"JVP of {_level}")


def _flat_output(f: Function) -> Function:
    """``f`` with a nested output (a tuple, list or dict of tensors, as JAX's check_grads takes)
    returning its leaves raveled into one vector; an array output is kept as it is."""

    def flat(*xs: Any) -> Any:
        y = f(*xs)
        if not isinstance(y, (list, tuple, dict)):
            return y
        return _concat([leaf if isinstance(leaf, Tensor) else wrap(np.asarray(leaf)) for leaf in flatten(y)[0]], True)

    return flat


def _direction(rng: Any, like: np.ndarray) -> np.ndarray:
    """A random direction shaped like ``like``: complex for complex values (real and imaginary)."""
    u = rng.standard_normal(like.shape)
    return u + 1j * rng.standard_normal(like.shape) if like.dtype.kind == "c" else u


def _contract(y: Any, v: np.ndarray) -> Any:
    """L = Re(sum(conj(v) * y)): the real function whose gradient is the VJP with cotangent v."""
    from tapegrad._tensor import ops

    product = y * wrap(np.conj(v) if v.ndim else np.conj(v)[()])
    return ops.sum(ops.real(product) if np.iscomplexobj(v) or _as_array(y).dtype.kind == "c" else product)


def _concat(parts: list, always: bool = False) -> Any:
    from tapegrad._tensor import ops

    if len(parts) == 1 and not always:
        return parts[0]
    return ops.concatenate([ops.reshape(p, (-1,)) for p in parts])
