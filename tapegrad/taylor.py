"""Taylor mode: every derivative up to order K along a direction, in one forward pass.

A third walk beside the reverse (``backward``) and forward (``forward``) ones. Each tensor
computed from the primals carries the truncated Taylor series of ``t -> y(x + t v + ...)``:
``y(t) = y0 + y1 t + y2 t**2 + ... + yK t**K``. Coefficients are stored *scaled* (``yk`` is the
k-th derivative divided by k!), so high orders do not overflow; ``derivatives`` multiplies by k!
only at the end. Each op's Taylor rule (declared with the op, ``taylor=``; series arithmetic in
``tapegrad.ops.series``) maps the inputs' series to the output's by the standard recurrences, which
cost about K**2 / 2 products per op, where nested
first-order differentiation costs 2**K. An op without a rule but with a JVP is expanded exactly
by K nested ForwardAccumulators (correct, exponential in K); an op with neither is a clear error.

A rule ``rule(K, series, ans, *inputs, **params)`` gets each input's series ``[x0, x1, ..., xk]`` (a
shorter list: the remaining coefficients are 0, so a constant is ``[x0]``) and returns the output's
series up to order K, starting with ``ans`` (NumPy's forward value), or None to decline (the walk
then expands the op by nested forward mode, exactly). Rules use Python operators and tapegrad ops
only, so they run on plain arrays, and an outer tape can differentiate them. Two kinds need no
formula of their own: "linear" (linear ops, and ops linear where they are differentiable: abs, relu,
maximum, where, ...): each coefficient goes through the op's JVP, ``y_k = JVP(x_k)``, with the same
conventions at kinks and ties; "multilinear" (matmul, einsum, ...): the Cauchy product
``y_k = sum_{i+j=k} op(a_i, b_j)``. Ops made by the ``linear`` and ``multilinear`` declarators get
theirs from the declarator. ``real_only(rule)`` declines complex arguments (the walk then expands
them exactly): rules hold for complex values only where the function is holomorphic or linear over
the reals (the path parameter t is real). The rule of an op declared ``complex=False`` is real-only.

Mixed partial derivatives (``derivative_tensors``) come from univariate series along several
directions, combined exactly as Griewank, Utke and Walther (Math. Comp. 69, 2000) do.
"""

from __future__ import annotations

import itertools
import math
import threading
from fractions import Fraction
from functools import cache
from typing import Any, Callable, Sequence

import numpy as np

from tapegrad import _context
from tapegrad._context import RAW, recorders_set_to
from tapegrad._dtypes import python_to_array
from tapegrad._structure import flatten, unflatten
from tapegrad._tensor import Tensor, Variable, key_of, ops, wrap
from tapegrad.forward import ForwardAccumulator, output_tangent

Series = list  # [x0, x1, ..., xk]: the value then its scaled Taylor coefficients (shorter: the rest are 0)
TaylorRule = Callable[..., Any]  # rule(K, series, ans, *inputs, **params) -> Series, or None to decline

# primitive -> rule: rules users register (``tapegrad.taylor.RULES[op] = rule``), and the declared ones resolved
RULES: dict[Any, TaylorRule] = {}

# ops whose JVP closes over values at the original point: right at order 1, wrong if expanded further
_FIRST_ORDER_ONLY = ("custom_gradient(", "recompute_grad(")


class TaylorRuleError(TypeError):
    """An op on the path from the primals has neither a Taylor rule nor a JVP to expand."""


class real_only:  # noqa: N801  (used as a function in declarations: ``taylor=real_only(rule)``)
    """A declared Taylor rule (or kind) that declines complex arguments."""

    __slots__ = ("declared",)

    def __init__(self, declared: Any) -> None:
        self.declared = declared


def rule_for(prim: Any) -> TaylorRule | None:
    """The Taylor rule of a primitive: registered, else declared with it, else from its declarator, else None."""
    rule = RULES.get(prim)
    if rule is None:
        declared = getattr(prim, "taylor", None)
        if declared is not None and not getattr(prim, "complex", False):
            declared = real_only(declared)  # the op's rules are real-only: so is its Taylor rule
        declared = declared or declared_kind(prim)
        if declared is not None:
            rule = RULES[prim] = _resolved(prim, declared)
    return rule


def _resolved(prim: Any, declared: Any) -> TaylorRule:
    if isinstance(declared, real_only):
        rule = _resolved(prim, declared.declared)
        return lambda K, s, ans, *inputs, **params: (
            None
            if any(np.iscomplexobj(_raw(x)) for x in inputs) or np.iscomplexobj(_raw(ans))
            else rule(K, s, ans, *inputs, **params)
        )
    if declared == "linear":
        return locally_linear(prim)
    if declared == "multilinear":
        return multilinear(prim)
    return declared


def _raw(v: Any) -> Any:
    return v._value if isinstance(v, Tensor) else v


def declared_kind(prim: Any) -> str | None:
    """'linear' or 'multilinear' when the op was made by that declarator (read from its JVP rule)."""
    jvps = getattr(prim, "jvps", None)
    if not isinstance(jvps, tuple) or not jvps or jvps[0] is None:
        return None
    name = getattr(jvps[0], "__qualname__", "")
    return next((kind for kind in ("multilinear", "linear") if name.startswith(f"{kind}.<locals>")), None)


def locally_linear(prim: Any) -> TaylorRule:
    """For ops linear where differentiable: each coefficient through the JVP, ``y_k = JVP(x_k)``."""

    def rule(K, s, ans, *inputs, **params):
        out = [ans]
        for k in range(1, min(max(len(x) for x in s), K + 1)):
            t = output_tangent(prim, [x[k] if k < len(x) else None for x in s], ans, inputs, params)
            out.append(ops.zeros_like(ans) if t is None else t)
        return out

    return rule


def multilinear(prim: Any) -> TaylorRule:
    """For ops linear in each argument: the Cauchy product ``y_k = sum_{i+j+...=k} op(a_i, b_j, ...)``."""

    def rule(K, s, ans, *inputs, **params):
        lengths = [len(x) for x in s]
        out = [ans]
        for k in range(1, K + 1):
            terms = [
                prim(*[x[i] for x, i in zip(s, combo)], **params)
                for combo in itertools.product(*[range(min(n, k + 1)) for n in lengths])
                if sum(combo) == k
            ]
            if not terms:
                break
            total = terms[0]
            for term in terms[1:]:
                total = total + term
            out.append(total)
        return out

    return rule


class TaylorAccumulator:
    """Propagate truncated Taylor series of everything computed from ``primals`` inside the block.

    ``series`` gives, per primal, its scaled Taylor coefficients ``[x1, x2, ..., xK]`` (each shaped
    like the primal): the input path is ``x(t) = x0 + x1 t + ... + xK t**K``. A straight line
    ``x + t v`` is ``[v]`` with ``order=K``. Then ``acc.series(y)`` is ``[y1, ..., yK]``, the
    scaled coefficients of ``y(t)`` (``k! * yk`` is the k-th derivative along the path)::

        with tg.TaylorAccumulator(x, [tg.ones_like(x)], order=4) as acc:
            y = tg.sin(x) ** 2
        y1, y2, y3, y4 = acc.series(y)
    """

    is_tape = False

    def __init__(self, primals: Any, series: Any, order: int | None = None) -> None:
        p_leaves, _ = flatten(primals)
        s_list = [series] if isinstance(primals, Tensor) else list(series)
        if len(p_leaves) != len(s_list):
            raise ValueError(
                f"TaylorAccumulator got {len(p_leaves)} primals but {len(s_list)} series; give one list of "
                "coefficients [x1, ..., xK] per primal"
            )
        longest = max((len(s) for s in s_list if isinstance(s, (list, tuple))), default=0)
        self.order = int(order) if order is not None else longest
        if self.order < 1 or longest > self.order:
            raise ValueError(f"TaylorAccumulator order must be at least 1 and at least the series' length, got {order}")
        self._series: dict[int, list] = {}  # tensor key -> [x1, ..., xk] (k <= order)
        self._followed = False  # some coefficient is a Tensor that an enclosing recorder follows
        self._variables: dict[int, tuple[Variable, list]] = {}
        for i, (p, s) in enumerate(zip(p_leaves, s_list)):
            if not isinstance(s, (list, tuple)):
                raise TypeError(
                    f"TaylorAccumulator series {i} is a {type(s).__name__}; give a list of coefficients [x1, ..., xK]"
                )
            if isinstance(p, Variable):
                ref = p.snapshot()
                coefs = [self._checked(c, ref, i) for c in s]
                self._followed = self._followed or any(isinstance(c, Tensor) for c in coefs)
                self._variables[id(p)] = (p, coefs)
                self._series[key_of(ref)] = coefs
            elif isinstance(p, Tensor):
                if p.dtype.kind not in "fc":
                    raise TypeError(f"TaylorAccumulator primal {i} has dtype {p.dtype}; Taylor series need floats")
                coefs = self._series[key_of(p)] = [self._checked(c, p, i) for c in s]
                self._followed = self._followed or any(isinstance(c, Tensor) for c in coefs)
            else:
                raise TypeError(
                    f"TaylorAccumulator primal {i} is a {type(p).__name__}; primals must be tg.Tensors or "
                    "tg.Variables (convert with tg.constant)"
                )

    @staticmethod
    def _checked(c: Any, primal: Tensor, i: int) -> Any:
        if primal.dtype.kind != "c" and np.iscomplexobj(c._value if isinstance(c, Tensor) else c):
            raise TypeError(
                f"TaylorAccumulator series {i} has a complex coefficient but its primal has dtype {primal.dtype}: "
                "a real primal moves along real directions only (the imaginary part would be dropped)"
            )
        if isinstance(c, Tensor) and c._key is not None and _followed(c._key):
            # a coefficient an enclosing tape or accumulator follows (tg.grad with respect to a direction):
            # kept as a Tensor, so that the series' computation, which those recorders see, depends on it
            if c.shape != primal.shape:
                raise ValueError(
                    f"TaylorAccumulator series {i} has a coefficient of shape {c.shape} but its primal has shape "
                    f"{primal.shape}"
                )
            return c if c.dtype == primal.dtype else ops.cast(c, primal.dtype)
        value = c._value if isinstance(c, Tensor) else python_to_array(c, primal.dtype)
        value = np.asarray(value)
        if value.shape != primal.shape:
            raise ValueError(
                f"TaylorAccumulator series {i} has a coefficient of shape {value.shape} but its primal has shape "
                f"{primal.shape}"
            )
        return value.astype(primal.dtype, copy=False)

    def __enter__(self) -> TaylorAccumulator:
        _context.push(self)
        self._thread = threading.get_ident()
        return self

    def __exit__(self, *exc: Any) -> None:
        _context.exit_in_own_thread(self, "TaylorAccumulator")

    def on_variable_read(self, var: Variable, snap: Tensor) -> None:
        entry = self._variables.get(id(var))
        if entry is not None and snap._key not in self._series:
            self._series[key_of(snap)] = entry[1]

    def tracks(self, key: Any) -> bool:
        """True when the tensor with this key carries a Taylor series."""
        return key in self._series

    def record(self, prim: Any, args: tuple, vals: Any, params: dict, out: Any) -> None:
        known = self._series
        incoming = [known.get(a._key) if a.__class__ is Tensor else None for a in args]
        if not any(incoming):
            return
        several = out.__class__ is tuple  # an op with several outputs (eigh): expanded by nested forward mode
        if not several and out._value.dtype.kind not in "fc":
            return
        if prim.joint_vjp is None and prim.joint_jvp is None and rule_for(prim) is None:
            return  # not differentiable (integer or boolean meaning): a constant, as forward mode has it
        state = _context.state
        stack = saved = state.recorders
        outer = stack[: stack.index(self)] if stack is not RAW and self in stack else ()
        state.recorders = outer if outer else RAW  # a recorder never sees its own bookkeeping
        try:
            if outer:  # the outer recorders see (and can differentiate) the series' computation
                inputs: Any = args
                ans: Any = out
                wrapped = [[wrap(c) if not isinstance(c, Tensor) else c for c in s] if s else s for s in incoming]
                series = [[a, *s] if s else [a] for a, s in zip(args, wrapped)]
            else:
                inputs, ans = vals, tuple(o._value for o in out) if several else out._value
                series = [[v, *s] if s else [v] for v, s in zip(vals, incoming)]
                if self._followed:  # coefficients kept as Tensors for enclosing recorders: values here
                    series = [[c._value if isinstance(c, Tensor) else c for c in s] for s in series]
            if several:
                result = _checked_fallback(prim, self.order, series, ans, inputs, params, outer)
                per_output = [[_fitted(c[o], a) for c in result[1:]] for o, a in enumerate(ans)]
            else:
                per_output = [output_series(prim, self.order, series, ans, inputs, params, outer)]
        finally:
            state.recorders = saved
        for o, coefs in zip(out if several else (out,), per_output):
            if coefs and o._value.dtype.kind in "fc":
                known[key_of(o)] = coefs

    def series(self, y: Any) -> Any:
        """The scaled Taylor coefficients ``[y1, ..., yK]`` of each tensor in ``y`` (zeros if not connected)."""
        leaves, treedef = flatten(y)
        out = []
        for p in leaves:
            if isinstance(p, Variable):
                p = p.snapshot()
            if not isinstance(p, Tensor):
                raise TypeError(f"series() takes tg.Tensors, got {type(p).__name__}")
            coefs = self._series.get(p._key) or []
            full = coefs + [np.zeros_like(p._value)] * (self.order - len(coefs))
            out.append([c if isinstance(c, Tensor) else wrap(c) for c in full])
        return unflatten(treedef, out)


def _followed(key: int) -> bool:
    """True when a recorder now active (one that will enclose a new accumulator) follows the tensor."""
    stack = _context.state.recorders
    return bool(stack) and stack is not RAW and any(getattr(r, "tracks", lambda _k: False)(key) for r in stack)


def output_series(prim: Any, order: int, series: list, ans: Any, inputs: Any, params: dict, outer: tuple) -> list:
    """The output's coefficients ``[y1, ..., yk]`` from the inputs' full series (rule, else nested forward)."""
    rule = rule_for(prim)
    result = rule(order, series, ans, *inputs, **params) if rule is not None else None
    if result is None:
        result = _checked_fallback(prim, order, series, ans, inputs, params, outer)
    return [_fitted(c, ans) for c in result[1 : order + 1]]


def _fitted(c: Any, ans: Any) -> Any:
    """A coefficient broadcast to its output's shape and cast to its dtype."""
    if not hasattr(c, "shape"):  # a Python number from a rule
        c = np.asarray(c, ans.dtype)
    if c.shape != ans.shape:
        c = ops.broadcast_to(c, ans.shape)
    if c.dtype != ans.dtype:
        c = ops.cast(c, ans.dtype)
    return c


def _checked_fallback(prim: Any, order: int, series: list, ans: Any, inputs: Any, params: dict, outer: tuple) -> Series:
    """The JVP at order 1, nested_forward above, or the clear error when the op cannot be expanded."""
    if order == 1 and prim.joint_jvp is not None:  # the first coefficient is the tangent
        tangents = [s[1] if len(s) > 1 else None for s in series]
        return [ans, output_tangent(prim, tangents, ans, inputs, params)]
    if order > 1 and prim.name.startswith(_FIRST_ORDER_ONLY):
        raise TaylorRuleError(
            f"Taylor mode: tg.{prim.name} fixes first derivatives only (its rules close over values at the "
            f"original point), so its order-{order} series is unknown; call the undecorated function inside "
            "the TaylorAccumulator"
        )
    if prim.joint_jvp is None:
        raise TaylorRuleError(
            f"Taylor mode: tg.{prim.name} has no Taylor rule and no JVP to expand; give it a JVP "
            "(tg.defjvp) or a Taylor rule (tapegrad.taylor.RULES[op] = rule, as the ops' taylor= rules)"
        )
    return nested_forward(prim, order, series, inputs, params, outer)


def nested_forward(prim: Any, order: int, series: list, inputs: Any, params: dict, outer: tuple) -> Series:
    """An op's output series by ``order`` nested ForwardAccumulators on the path parameter t.

    Exact (each level differentiates the JVP rules of the level below) but 2**order times one JVP:
    the fallback for ops without a Taylor rule.
    """
    dtype = np.result_type(
        *[np.asarray(c._value if isinstance(c, Tensor) else c).dtype for s in series if len(s) > 1 for c in s[1:]]
    )
    with recorders_set_to(outer):
        t = wrap(np.zeros((), dtype))
        one = wrap(np.ones((), dtype))
        accs = [ForwardAccumulator(t, one) for _ in range(order)]
        for acc in accs:
            acc.__enter__()
        try:
            paths = [_horner(s, t) if len(s) > 1 else a for s, a in zip(series, inputs)]
            y = prim(*paths, **params)
        finally:
            for acc in reversed(accs):
                acc.__exit__(None, None, None)
        several = isinstance(y, tuple)
        result: Series = [y]
        d = y
        for k, acc in enumerate(reversed(accs), start=1):
            d = acc.jvp(d, unconnected_gradients="zero")
            result.append(tuple(t / math.factorial(k) for t in d) if several else d / math.factorial(k))
    if not outer:
        raw = lambda r: r._value if isinstance(r, Tensor) else r  # noqa: E731
        result = [tuple(map(raw, r)) if several else raw(r) for r in result]
    return result


def _horner(s: Series, t: Tensor) -> Any:
    acc = s[-1] if isinstance(s[-1], Tensor) else wrap(np.asarray(s[-1]))
    for c in reversed(s[:-1]):
        acc = (c if isinstance(c, Tensor) else wrap(np.asarray(c))) + t * acc
    return acc


# ---- the functions people call ----------------------------------------------------------------------
def taylor_series(
    f: Callable[..., Any], primals: Sequence[Any], series: Sequence[Sequence[Any]], order: int | None = None
) -> tuple[Any, Any]:
    """``(f(*primals), [y1, ..., yK])``: the scaled Taylor coefficients of f's output along a path.

    As ``jax.experimental.jet`` (whose coefficients are derivatives, ours divided by k!): primal i
    moves along ``x_i(t) = x_i + series[i][0] t + series[i][1] t**2 + ...``, and the output's
    coefficients come back in the same scaled form (``k! * yk`` is the k-th derivative in t)::

        y, (y1, y2, y3) = tg.taylor_series(tg.exp, [x], [[tg.ones_like(x)]], order=3)  # e^x, e^x/2, e^x/6
    """
    xs = [p if isinstance(p, Tensor) else wrap(python_to_array(p, None)) for p in primals]
    with TaylorAccumulator(xs, [list(s) for s in series], order) as acc:
        y = f(*xs)
    return y, acc.series(y)


def derivatives(f: Callable[[Any], Any], x: Any, order: int, direction: Any = None) -> list:
    """``[f'(x), f''(x), ..., f^(order)(x)]`` along ``direction`` (default: ones), by one Taylor pass.

    For an elementwise ``f`` on an array this is each element's derivatives (the seeds' plots of
    ``sin(x)**2``); for several variables it is ``d^k/dt^k f(x + t v)`` at ``t = 0``::

        d1, d2, d3 = tg.derivatives(lambda v: tg.sin(v) ** 2, np.linspace(0, 3, 50), order=3)
    """
    if order < 1:
        raise ValueError(f"derivatives: order must be at least 1, got {order}")
    x = _point(x)
    v = np.ones_like(x._value) if direction is None else direction
    with TaylorAccumulator(x, [v], order) as acc:
        y = f(x)
    return [c if k == 1 else _times(c, math.factorial(k)) for k, c in enumerate(acc.series(y), start=1)]


def _point(x: Any) -> Tensor:
    """``x`` as a Tensor: float64 for real numbers, complex128 for complex ones (never cut to the real part)."""
    if isinstance(x, Tensor):
        return x
    return wrap(python_to_array(x, np.complex128 if np.iscomplexobj(x) else np.float64))


def _times(c: Tensor, number: int) -> Tensor:
    """c * number, without the op dispatch when no recorder is active (the hot path of plots)."""
    stack = _context.state.recorders
    return wrap(c._value * number) if not stack or stack is RAW else c * number


def derivative_tensors(f: Callable[[Any], Any], x: Any, order: int, *, vectorized: bool = False) -> list:
    """``[f(x), gradient, Hessian, ..., order-th derivative tensor]`` of f at the vector x.

    Entry ``[i1, ..., ik]`` of the k-th tensor is the mixed partial d^k f / dx_i1 ... dx_ik (the
    output's axes first, then k axes of len(x)). A univariate Taylor pass along an integer
    direction j gives the homogeneous part ``p_k(j) = sum_|i|=k d^i f / i! * j^i`` for every k at
    once; the monomial coefficients follow from p_k on the lattice {j : |j| = k} by Lagrange
    interpolation in closed form (Griewank, Utke and Walther, Math. Comp. 69, 2000), with weights
    that are exact rationals rounded once, so the only error is rounding. A monomial in s of the
    variables needs only the lattice of those s (s <= k): one pass per lattice line through 0.

    ``vectorized=True`` says that f also takes points stacked along a last axis (x of shape (n, m)
    gives outputs of shape (..., m)), as an elementwise expression in ``x[0], x[1], ...`` does: then
    every direction goes through f in one pass::

        value, grad, hess, third = tg.derivative_tensors(lambda v: tg.exp(v[0] * v[1]), np.array([1.0, 2.0]), 3)
    """
    x = _point(x)
    if x.ndim != 1:
        raise ValueError(f"derivative_tensors takes a vector x, got shape {x.shape}")
    n = x.shape[0]
    value = f(x)
    results: list = [value]
    passes: dict[tuple, list] = {}  # primitive direction -> its scaled coefficients [y1..yK]
    # the coefficients' precision: complex when x or f(x) is (a real cast would drop the imaginary parts)
    wide = np.complex128 if x.dtype.kind == "c" or np.iscomplexobj(value._value) else np.float64
    recorders = _context.state.recorders
    traced = bool(recorders) and recorders is not RAW
    if traced:  # a tape or accumulator follows x (tg.grad of a derivative): combine with recorded ops
        coefficient = lambda c: c if c.dtype == wide else ops.cast(c, wide)  # noqa: E731
        stack, tensordot, reshape = ops.stack, ops.tensordot, ops.reshape
    else:  # plain NumPy, the fast path of plots and the CLI
        coefficient = lambda c: np.asarray(c._value, dtype=wide)  # noqa: E731
        stack, tensordot, reshape = np.stack, np.tensordot, np.reshape
    if vectorized and order >= 1:
        bases = sorted({_primitive_direction(j) for k in range(1, order + 1) for j in _compositions(k, n)})
        if traced:
            stacked = ops.stack([x] * len(bases), axis=1)
        else:
            stacked = wrap(np.repeat(x._value[:, None], len(bases), axis=1))
        with TaylorAccumulator(stacked, [np.asarray(bases, dtype=x.dtype).T], order) as acc:
            y = f(stacked)
        coefs = [coefficient(c) for c in acc.series(y)]
        for col, base in enumerate(bases):
            passes[base] = [c[..., col] for c in coefs]

    def homogeneous_part(j: tuple, k: int) -> Any:
        g = math.gcd(*j)
        base = _primitive_direction(j)
        if base not in passes:
            with TaylorAccumulator(x, [np.asarray(base, dtype=x.dtype)], order) as acc:
                y = f(x)
            passes[base] = [coefficient(c) for c in acc.series(y)]
        return passes[base][k - 1] * float(g) ** k  # p_k(g u) = g**k p_k(u)

    out_shape = tuple(np.shape(value._value))
    for k in range(1, order + 1):
        partials: dict[tuple, Any] = {}  # multi-index (counts per variable) -> d^i f
        for size in range(1, min(n, k) + 1):
            lattice, rows, weights = _lagrange_weights(size, k)
            for subset in itertools.combinations(range(n), size):
                samples = stack([homogeneous_part(_embed(j, subset, n), k) for j in lattice])
                coefficients = tensordot(weights, samples, axes=(1, 0))
                for r, i in enumerate(rows):
                    counts = _embed(i, subset, n)
                    factorials = float(math.prod(math.factorial(m) for m in i))
                    partials[counts] = coefficients[r] * factorials  # d^i f = i! c_i
        # entry [i1..ik] is the partial of its counts
        entries = [partials[tuple(idx.count(v) for v in range(n))] for idx in itertools.product(range(n), repeat=k)]
        tensor = reshape(stack(entries, axis=-1), out_shape + (n,) * k)
        if isinstance(tensor, Tensor):
            results.append(tensor if tensor.dtype == value.dtype else ops.cast(tensor, value.dtype))
        else:
            results.append(wrap(tensor.astype(value.dtype, copy=False)))
    return results


def _compositions(total: int, parts: int) -> list[tuple]:
    """Every tuple of ``parts`` non-negative integers summing to ``total``."""
    if parts == 1:
        return [(total,)]
    return [(first, *rest) for first in range(total + 1) for rest in _compositions(total - first, parts - 1)]


def _primitive_direction(j: tuple) -> tuple:
    g = math.gcd(*j)
    return tuple(c // g for c in j)


def _embed(j: tuple, subset: tuple, n: int) -> tuple:
    full = [0] * n
    for position, count in zip(subset, j):
        full[position] = count
    return tuple(full)


@cache
def _lagrange_weights(s: int, d: int) -> tuple[list, list, np.ndarray]:
    """(lattice, rows, W): c_i = sum_j W[i, j] p(j) for the monomials i of s variables that use all of
    them, from p on the lattice {j : |j| = d}, for every homogeneous p of degree d.

    The Lagrange basis of that lattice is H_j(v) = prod_m prod_{r < j_m} (d v_m - r |v|) / (d (r + 1))
    (on |v| = d it is prod_m binomial(v_m, j_m), 1 at j and 0 at the other lattice points, and it
    is homogeneous of degree d), so W[i, j] is the coefficient of v^i in H_j: expanded in integers,
    divided once.
    """
    lattice = _compositions(d, s)
    rows = [i for i in lattice if all(i)]
    weights = np.zeros((len(rows), len(lattice)))
    for col, j in enumerate(lattice):
        poly: dict[tuple, int] = {(0,) * s: 1}
        denominator = d**d
        for m in range(s):
            for r in range(j[m]):
                denominator *= r + 1
                factor = {tuple(int(q == v) for q in range(s)): (d * (v == m) - r) for v in range(s)}
                poly = _poly_times(poly, factor)
        for row, i in enumerate(rows):
            weights[row, col] = float(Fraction(poly.get(i, 0), denominator))
    return lattice, rows, weights


def _poly_times(a: dict, b: dict) -> dict:
    out: dict[tuple, int] = {}
    for ea, ca in a.items():
        for eb, cb in b.items():
            if cb:
                e = tuple(x + y for x, y in zip(ea, eb))
                out[e] = out.get(e, 0) + ca * cb
    return out
