"""Numerical differentiation and gradient checking against it.

``check_grads`` tests forward mode (JVP) and reverse mode (VJP) against central finite differences,
and against each other (<v, J u> == <J^T v, u>), then recurses: the VJP and the JVP are functions of
the inputs too, so order 2 checks "VJP of VJP of f", "JVP of VJP of f", and so on.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from tapegrad._tensor import Tensor, wrap
from tapegrad.forward import ForwardAccumulator
from tapegrad.tape import GradientTape

Function = Callable[..., Any]


def _as_array(x: Any) -> np.ndarray:
    if isinstance(x, Tensor):
        x = x._value
    return np.asarray(x)


def _call(f: Function, arrays: Sequence[np.ndarray]) -> np.ndarray:
    return np.asarray(_as_array(f(*[wrap(a if a.ndim else a[()]) for a in arrays])), dtype=np.float64)


def default_step(dtype: Any) -> float:
    """Central differences balance truncation (h^2) and rounding (eps/h): h ~ eps^(1/3)."""
    return float(np.finfo(np.dtype(dtype) if np.dtype(dtype).kind == "f" else np.float64).eps) ** (1 / 3)


def numerical_gradient(f: Function, *args: Any, eps: float | None = None) -> list[np.ndarray]:
    """Central-difference derivatives of ``f`` w.r.t. each argument.

    For a scalar ``f`` each entry is shaped like its argument; otherwise it is the Jacobian, shaped
    ``f(...).shape + arg.shape``. The step is relative: ``eps * max(1, |x_i|)``.
    """
    arrays = [np.array(_as_array(a), dtype=np.result_type(_as_array(a), np.float32)) for a in args]
    out_shape = _call(f, arrays).shape
    result = []
    for a in arrays:
        h0 = default_step(a.dtype) if eps is None else eps
        jac = np.zeros(out_shape + a.shape)
        flat = a.reshape(-1)
        for i in range(flat.size):
            orig = flat[i]
            h = h0 * max(1.0, abs(float(orig)))
            flat[i] = orig + h
            plus = _call(f, arrays)
            flat[i] = orig - h
            minus = _call(f, arrays)
            flat[i] = orig
            jac.reshape(out_shape + (-1,))[..., i] = (plus - minus) / (2 * h)
        result.append(jac)
    return result


def _vjp(f: Function, arrays: list[np.ndarray], v: np.ndarray) -> list[np.ndarray]:
    xs = [wrap(a if a.ndim else a[()]) for a in arrays]
    with GradientTape() as tape:
        tape.watch(xs)
        y = f(*xs)
    grads = tape.gradient(y, xs, output_gradients=v)
    return [
        np.zeros_like(a) if g is None else np.asarray(_as_array(g), dtype=np.float64)
        for g, a in zip(grads, arrays)
    ]


def _jvp(f: Function, arrays: list[np.ndarray], us: list[np.ndarray]) -> np.ndarray:
    xs = [wrap(a if a.ndim else a[()]) for a in arrays]
    with ForwardAccumulator(xs, [u if u.ndim else u[()] for u in us]) as acc:
        y = f(*xs)
    t = acc.jvp(y)
    return np.zeros(np.shape(_as_array(y))) if t is None else np.asarray(_as_array(t), dtype=np.float64)


def _report(level: str, what: str, analytic: np.ndarray, numeric: np.ndarray, rtol: float, atol: float) -> None:
    analytic = np.asarray(analytic, dtype=np.float64).reshape(-1)
    numeric = np.asarray(numeric, dtype=np.float64).reshape(-1)
    err = np.abs(analytic - numeric)
    bad = err > atol + rtol * np.abs(numeric)
    if not bad.any() and np.isfinite(analytic).all() == np.isfinite(numeric).all():
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
    arrays = [np.array(_as_array(a), dtype=np.float64) for a in args]
    rng = np.random.default_rng(seed)
    y0 = _call(f, arrays)
    us = [rng.standard_normal(a.shape) for a in arrays]
    v = rng.standard_normal(y0.shape)
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
            lhs = float(np.vdot(v, ju))
            rhs = float(sum(np.vdot(g, u) for g, u in zip(jtv, us)))
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


def _contract(y: Any, v: np.ndarray) -> Any:
    from tapegrad._tensor import ops

    return ops.sum(y * wrap(v if v.ndim else v[()]))


def _concat(parts: list) -> Any:
    from tapegrad._tensor import ops

    if len(parts) == 1:
        return parts[0]
    return ops.concatenate([ops.reshape(p, (-1,)) for p in parts])
