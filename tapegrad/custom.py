"""User-defined derivatives: new primitives, custom gradients, and recomputation (checkpointing).

Declaring a new primitive
-------------------------
A primitive is a NumPy function plus, for each positional argument, a vector-Jacobian product (VJP,
reverse mode) and a Jacobian-vector product (JVP, forward mode) -- the same mechanism as every
built-in op of the rule table::

    import numpy as np
    import tapegrad as tg

    @tg.primitive
    def logsumexp(x):                      # forward: plain NumPy on plain arrays
        m = np.max(x)
        return m + np.log(np.sum(np.exp(x - m)))

    # rules get (g or t, ans, *args, **params) and are written in tapegrad ops (tg.exp, tg.sum, ...),
    # so they are differentiable again: higher-order derivatives of logsumexp work too.
    tg.defvjp(logsumexp, lambda g, ans, x: g * tg.exp(x - ans))
    tg.defjvp(logsumexp, lambda t, ans, x: tg.sum(t * tg.exp(x - ans)))

    tg.check_grads(logsumexp, np.array([0.5, -1.0, 2.0]))   # forward, reverse, second order

Positional arguments are the differentiable data; keyword arguments are parameters passed to the
forward function and to every rule (``axis=...``). One rule per positional argument, ``None`` for
an argument without a derivative. ``tg.elementwise(impl, *partials)`` builds both rules from the
partial derivatives ``d(ans, *args)`` for elementwise ops (broadcasting handled), e.g.
``softplus = tg.elementwise(lambda x: np.logaddexp(0, x), lambda ans, x: 1 - tg.exp(-ans))``.
Rules must use ``x.shape``/``x.dtype`` and tapegrad ops, not ``np.`` math on their arguments: they
run on Tensors when a tape records the backward pass, and on plain NumPy values otherwise.

Complex values: a VJP rule is the transpose of the JVP for the bilinear pairing Re(sum(a * b)), as
in JAX: a holomorphic op's VJP is ``g * f'(z)`` with no conjugate, exactly its real rule; only ops
that are not holomorphic (|z|, Re z, ...) need more (see ``tg.abs``, ``tg.real``). The user-facing
gradient, TensorFlow's dL/dx + i dL/dy, is the conjugate that ``tape.gradient`` returns.
``custom_gradient``'s ``grad_fn`` works in that user-facing convention, as in TensorFlow.

custom_gradient
---------------
``@tg.custom_gradient`` (TensorFlow's): the decorated function returns ``(y, grad_fn)`` and
``grad_fn(*upstream)`` returns the gradients of its inputs. See its docstring.

recompute_grad
--------------
``tg.recompute_grad(f)`` keeps only the inputs and outputs of ``f`` on the tape and recomputes its
intermediates during the backward pass (gradient checkpointing).
"""

from __future__ import annotations

import functools
import inspect
from contextlib import contextmanager, nullcontext
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from tapegrad import _backend, _context
from tapegrad import _primitive as _p
from tapegrad._context import RAW, recorders_set_to, state
from tapegrad._dtypes import python_to_array
from tapegrad._primitive import PerArgument, Primitive, Rule, unbroadcast
from tapegrad._structure import flatten, unflatten
from tapegrad._tensor import Tensor, Variable, ops, wrap
from tapegrad.forward import ForwardAccumulator
from tapegrad.tape import GradientTape

__all__ = [
    "primitive",
    "defvjp",
    "defjvp",
    "defrule",
    "elementwise",
    "unbroadcast",
    "Primitive",
    "custom_gradient",
    "recompute_grad",
]

Function = Callable[..., Any]


# ---- declaring primitives ------------------------------------------------------------------------
def _check_rules(kind: str, rules: Sequence[Any]) -> None:
    for i, rule in enumerate(rules):
        if rule is not None and not callable(rule):
            raise TypeError(f"{kind}: rule {i} must be a function or None, got {type(rule).__name__}")


def primitive(impl: Function | None = None, *, name: str | None = None, doc: str | None = None) -> Any:
    """Declare a new primitive computing ``impl`` with NumPy; usable as a decorator.

    The result is called like ``impl`` but takes and returns tensors, and is recorded by tapes
    once ``defvjp`` (and ``defjvp``) give it derivative rules. See the module docstring.
    """
    if impl is None:
        return lambda fn: primitive(fn, name=name, doc=doc)
    if not callable(impl):
        raise TypeError(f"primitive() takes the NumPy function computing the op, got {type(impl).__name__}")
    return _p.primitive(impl, name or getattr(impl, "__name__", "primitive"), doc or getattr(impl, "__doc__", None))


def defvjp(prim: Primitive, *vjps: Rule | None, joint: Rule | None = None) -> Primitive:
    """Give ``prim`` its vector-Jacobian products, one per positional argument.

    Each rule is ``vjp(g, ans, *args, **params)`` and returns the cotangent of its argument, shaped
    like that argument (``tg.unbroadcast(g_like_ans, arg)`` sums broadcast dimensions away).
    ``joint=rule(g, ans, needs, *args, **params)`` instead returns every argument's cotangent at
    once (a list, None where there is none; ``needs`` lists the wanted positions). For a primitive
    whose forward returns a tuple of arrays, ``g`` and ``ans`` are tuples too (None in ``g`` for
    an output that received no cotangent).
    """
    if not isinstance(prim, Primitive):
        raise TypeError(f"defvjp needs a primitive made by tg.primitive, got {type(prim).__name__}")
    _check_rules("defvjp", vjps)
    if joint is not None and not callable(joint):
        raise TypeError("defvjp: joint must be a function")
    if not vjps and joint is None:
        raise ValueError("defvjp needs one rule per positional argument of the primitive, or joint=")
    return _p.defvjp(prim, *vjps, joint=joint)


def defjvp(prim: Primitive, *jvps: Rule | None, joint: Rule | None = None) -> Primitive:
    """Give ``prim`` its Jacobian-vector products, one per positional argument.

    Each rule is ``jvp(t, ans, *args, **params)`` and returns that argument's contribution to the
    output tangent (they are summed). ``joint=rule(tangents, ans, *args, **params)`` instead gives
    the whole output tangent at once; ``tangents[i]`` is None for arguments without one.
    """
    if not isinstance(prim, Primitive):
        raise TypeError(f"defjvp needs a primitive made by tg.primitive, got {type(prim).__name__}")
    _check_rules("defjvp", jvps)
    if joint is not None and not callable(joint):
        raise TypeError("defjvp: joint must be a function")
    if not jvps and joint is None:
        raise ValueError("defjvp needs one rule per positional argument, or joint=")
    return _p.defjvp(prim, *jvps, joint=joint)


def defrule(
    impl: Function,
    vjps: Sequence[Rule | None] | PerArgument,
    jvps: Sequence[Rule | None] | PerArgument | None = None,
    joint_jvp: Rule | None = None,
    name: str | None = None,
) -> Primitive:
    """A primitive with its VJPs and JVPs in one call (the built-in table's declarator)."""
    return _p.defrule(impl, vjps, jvps, joint_jvp, name or getattr(impl, "__name__", None))


def elementwise(impl: Function, *partials: Rule | None, name: str | None = None) -> Primitive:
    """An elementwise primitive from its partial derivatives ``d_i(ans, *args)``.

    VJP_i = unbroadcast(g * d_i, args[i]) and JVP_i = t_i * d_i follow, so one line declares an op::

        softplus = tg.elementwise(lambda x: np.logaddexp(0, x), lambda ans, x: 1 - tg.exp(-ans))
    """
    _check_rules("elementwise", partials)
    return _p.elementwise(impl, *partials, name=name or getattr(impl, "__name__", None), table=False)


# ---- watching the Variables a function reads -------------------------------------------------------
class _VariableWatcher:
    """A recorder that records nothing and notes every Variable read (TF's VariableWatcher)."""

    is_tape = False

    def __init__(self) -> None:
        self.reads: list[tuple[Variable, Tensor]] = []

    def record(self, *args: Any) -> None:
        pass

    def tracks(self, key: Any) -> bool:
        return False

    def on_variable_read(self, var: Variable, snap: Tensor) -> None:
        if not any(s is snap for _, s in self.reads):
            self.reads.append((var, snap))


def _same_kind(g: Any, like: Tensor, what: str, i: int) -> Any:
    """A user-computed gradient as a Tensor of ``like``'s shape and dtype (None stays None)."""
    if g is None:
        return None
    if isinstance(g, Variable):
        g = g.snapshot()
    if not isinstance(g, Tensor):
        g = wrap(python_to_array(g, like.dtype))
    if g.shape != like.shape:
        try:
            shape = np.broadcast_shapes(g.shape, like.shape)
        except ValueError:
            shape = None
        if shape != like.shape:
            raise ValueError(
                f"{what}: the gradient for input {i} has shape {g.shape} but the input has shape {like.shape}"
            )
        g = ops.broadcast_to(g, shape)
    if g.dtype != like.dtype and like.dtype.kind in "fc":
        g = ops.cast(g, like.dtype)
    return g


# ---- custom_gradient ---------------------------------------------------------------------------------
def custom_gradient(f: Function | None = None) -> Any:
    """Decorate ``f(*xs) -> (y, grad_fn)`` so that its gradient is ``grad_fn`` (TensorFlow's).

    ``grad_fn(*upstream)`` gets one upstream gradient per (flattened) output of ``f`` and returns
    the gradients of ``f``'s positional tensor arguments: one tensor (or None) per flattened
    argument, or a single tensor when there is one argument. Keyword arguments are passed to ``f``
    and not differentiated (a float tensor among them that a tape or accumulator follows is an
    error rather than a silent None: pass it positionally).

    The classic numerically stable example: the naive gradient of ``log(1 + exp(x))`` at x = 100
    is inf/inf = nan in float32, this one is 1.0::

        @tg.custom_gradient
        def log1pexp(x):
            e = tg.exp(x)
            def grad_fn(upstream):
                return upstream * (1 - 1 / (1 + e))
            return tg.log(1 + e), grad_fn

    What is supported:

    * several tensor arguments (nested lists/tuples/dicts of them are flattened) and several outputs;
    * higher order: ``f``'s own operations are recorded by enclosing tapes, as in TensorFlow, so
      when ``grad_fn`` is written in tapegrad ops, differentiating its result differentiates through
      the tensors it closes over (``e`` above) back to the inputs;
    * forward mode (``ForwardAccumulator``, ``tg.jvp``): the JVP is obtained by transposing
      ``grad_fn`` (it is linear in ``upstream``), which again needs ``grad_fn`` in tapegrad ops;
    * Variables read inside ``f`` (not passed as arguments): as in TensorFlow, ``grad_fn`` must then
      take a ``variables`` keyword (the list of those Variables, in order of first read) and return
      ``(input_gradients, variable_gradients)`` with one gradient per variable.
    """
    if f is None:
        return custom_gradient
    if not callable(f):
        raise TypeError(f"custom_gradient decorates a function, got {type(f).__name__}")
    name = getattr(f, "__name__", "f")

    @functools.wraps(f)
    def decorated(*args: Any, **kwargs: Any) -> Any:
        stack = state.recorders
        if not stack or stack is RAW:  # nothing can differentiate this call
            y, _ = _split_result(f(*args, **kwargs), name)
            return y
        _refuse_followed_keywords(kwargs, stack, f"custom_gradient({name})")
        watcher = _VariableWatcher()
        _context.push(watcher)
        try:
            y, grad_fn = _split_result(f(*args, **kwargs), name)
        finally:
            _context.remove(watcher)
        flat_args, _ = flatten(list(args))
        positions = [i for i, a in enumerate(flat_args) if isinstance(a, Tensor)]
        inputs = [flat_args[i] for i in positions]
        passed = {id(a) for a in inputs}
        variables = [(v, s) for v, s in watcher.reads if id(v) not in passed]
        if variables and "variables" not in _parameters(grad_fn):
            raise TypeError(
                f"custom_gradient: {name} reads the Variable(s) {[v.name for v, _ in variables]}, so its grad_fn "
                "must take a `variables` keyword argument and return (input_gradients, variable_gradients)"
            )
        y_leaves, y_def = flatten(y)
        outs = [_as_output(v) for v in y_leaves]
        tensor_outs = [j for j, v in enumerate(outs) if isinstance(v, Tensor) and v._value.dtype.kind in "fc"]
        n_args = len(flat_args)

        def gradients(gs: Sequence[Any]) -> list:
            """Input gradients (flat args, then variables) for upstream ``gs`` (None: zeros), one grad_fn call."""
            ups = [
                _conj(gj) if gj is not None else (ops.zeros_like(outs[k]) if isinstance(outs[k], Tensor) else None)
                for k, gj in zip(range(len(outs)), _spread(gs, tensor_outs, len(outs)))
            ]
            if variables:
                result = grad_fn(*ups, variables=[v for v, _ in variables])
                if not isinstance(result, (list, tuple)) or len(result) != 2:
                    raise TypeError(
                        f"custom_gradient: {name}'s grad_fn takes `variables`, so it must return "
                        "(input_gradients, variable_gradients)"
                    )
                arg_grads, var_grads = result
                var_grads = list(var_grads) if isinstance(var_grads, (list, tuple)) else [var_grads]
                if len(var_grads) != len(variables):
                    raise ValueError(
                        f"custom_gradient: grad_fn returned {len(var_grads)} variable gradients for "
                        f"{len(variables)} variables"
                    )
            else:
                arg_grads, var_grads = grad_fn(*ups), []
            if n_args == 1 and not isinstance(arg_grads, (list, tuple)):
                arg_grads = [arg_grads]
            arg_grads = flatten(list(arg_grads))[0] if isinstance(arg_grads, (list, tuple)) else [arg_grads]
            if len(arg_grads) != n_args:
                raise ValueError(
                    f"custom_gradient: {name}'s grad_fn returned {len(arg_grads)} gradient(s) for "
                    f"{n_args} input(s); return one per (flattened) positional argument, None for no gradient"
                )
            picked = [arg_grads[i] for i in positions] + list(var_grads)
            refs = inputs + [s for _, s in variables]
            what = f"custom_gradient({name})"
            return [_conj(_same_kind(gi, ref, what, i)) for i, (gi, ref) in enumerate(zip(picked, refs))]

        results = list(outs)
        if tensor_outs:  # ONE op from the inputs (and Variables read) to every float output
            prim = _p.primitive(_ValueOnce(tuple(outs[j]._value for j in tensor_outs)), f"custom_gradient({name})")
            _p.set_rules(prim, joint_vjp=_custom_vjp(gradients), joint_jvp=_custom_jvp(gradients, outs, tensor_outs))
            for j, r in zip(tensor_outs, prim(*inputs, *[s for _, s in variables])):
                results[j] = r
        return unflatten(y_def, results)

    return decorated


def _never(_key: Any) -> bool:
    return False


def _refuse_followed_keywords(kwargs: dict, recorders: Any, what: str) -> None:
    """Keyword arguments are not differentiated (TensorFlow's rule, which gives None silently): refuse
    a float tensor among them that a tape or accumulator follows, as its derivative would be lost."""
    if not kwargs:
        return
    for name, value in kwargs.items():
        for leaf in flatten(value)[0]:
            if leaf.__class__ is not Tensor or leaf._key is None or _backend.kind(leaf._value.dtype) not in "fc":
                continue
            if any(getattr(r, "tracks", _never)(leaf._key) for r in recorders):  # (a tg.function trace: no)
                raise TypeError(
                    f"{what}: keyword argument {name!r} is a tensor that a tape or accumulator differentiates, "
                    "but keyword arguments are not differentiated (its derivative would be dropped); pass it "
                    "as a positional argument"
                )


def _spread(gs: Sequence[Any], positions: list[int], n: int) -> list:
    """Per-output values at ``positions`` (the op's outputs) spread over all n outputs (None elsewhere)."""
    out: list = [None] * n
    for j, g in zip(positions, gs):
        out[j] = g
    return out


class _ValueOnce:
    """A stand-in op's impl that hands out its precomputed value once and then lets go of it."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __call__(self, *args: Any) -> Any:
        value, self.value = self.value, None
        return value


def _as_output(v: Any) -> Any:
    if isinstance(v, Variable):
        return v.snapshot()
    return v


def _split_result(result: Any, name: str) -> tuple[Any, Function]:
    if not isinstance(result, (list, tuple)) or len(result) != 2 or not callable(result[1]):
        raise TypeError(
            f"custom_gradient: {name} must return a pair (output, grad_fn) where grad_fn(upstream) "
            "returns the input gradients"
        )
    return result[0], result[1]


def _parameters(fn: Function) -> set[str]:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return set()
    names = set(params)
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        names.add("variables")
    return names


def _conj(g: Any) -> Any:
    """Complex values: ``grad_fn`` takes and gives gradients in tapegrad's convention (TensorFlow's,
    dL/dx + i dL/dy), the conjugates of the cotangents the walks carry (see tapegrad.backward)."""
    if g is None or g.dtype.kind != "c":
        return g
    return ops.conj(g)


def _custom_vjp(gradients: Callable[[Sequence[Any]], list]) -> Callable[..., Any]:
    def joint_vjp(gs: tuple, ans: Any, needs: Any, *inputs: Any) -> list:
        if any(isinstance(g, Tensor) for g in gs):
            return gradients(gs)
        with recorders_set_to(()):  # a raw walk: grad_fn closes over Tensors, so run it on Tensors
            grads = gradients([None if g is None else wrap(g) for g in gs])
        return [None if gi is None else gi._value for gi in grads]

    return joint_vjp


def _custom_jvp(gradients: Callable[[Sequence[Any]], list], outs: list, positions: list[int]) -> Callable[..., Any]:
    def joint_jvp(tangents: list, ans: Any, *inputs: Any) -> Any:
        pairs = [(i, t) for i, t in enumerate(tangents) if t is not None]
        if not pairs:
            return None
        raw = not isinstance(ans[0], Tensor)
        with recorders_set_to(()) if raw else nullcontext():
            g0 = [wrap(np.zeros_like(outs[j]._value)) for j in positions]
            with GradientTape() as tape:  # J t = d/dg <grad_fn(g), t>: transpose the linear VJP
                tape.watch(g0)
                grads = gradients(g0)
                total = None
                for i, t in pairs:
                    gi = grads[i]
                    if gi is None:
                        continue
                    term = ops.sum(gi * (wrap(t) if raw else t))
                    total = term if total is None else total + term
            if total is None:
                return None
            tangent = [_conj(t) for t in tape.gradient(total, g0)]  # the bilinear transpose, see _conj
        return tuple(None if t is None else t._value if raw else t for t in tangent)

    return joint_jvp


# ---- recompute_grad ---------------------------------------------------------------------------------
def recompute_grad(f: Function) -> Function:
    """Gradient checkpointing: the tape keeps ``f``'s inputs and outputs, not its intermediates.

    A call of the decorated function appears on every recording tape as ONE operation from its
    tensor arguments (and the Variables it reads) to each output; its VJP runs ``f`` again under a
    fresh tape and differentiates that. Gradients are the same (exactly, ``f`` must be
    deterministic); memory falls from all intermediates of ``f`` to those of one segment at a
    time, at the cost of running ``f`` twice. Tensors are differentiated as positional arguments
    (a followed one passed by keyword is an error). Higher order and forward mode work (forward mode
    recomputes ``f`` under an accumulator). With several outputs, the backward pass still runs
    ``f`` once more, for all of them.

        block = tg.recompute_grad(lambda x: tg.tanh(tg.sin(x) * 3))
        with tg.GradientTape() as tape:
            tape.watch(x)
            y = tg.reduce_sum(block(block(x)))
    """
    if not callable(f):
        raise TypeError(f"recompute_grad decorates a function, got {type(f).__name__}")

    @functools.wraps(f)
    def decorated(*args: Any, **kwargs: Any) -> Any:
        stack = state.recorders
        if not stack or stack is RAW:
            return f(*args, **kwargs)
        _refuse_followed_keywords(kwargs, stack, f"recompute_grad({getattr(f, '__name__', 'f')})")
        watcher = _VariableWatcher()
        with recorders_set_to((watcher,)):  # nothing records the forward pass
            y = f(*args, **kwargs)
        flat_args, _ = flatten(list(args))
        inputs = [a for a in flat_args if isinstance(a, Tensor) and not isinstance(a, Variable)]
        variables = watcher.reads  # Variables read by f, passed as arguments or not
        for var, snap in variables:  # the tapes watch these reads as if f had run under them
            for recorder in stack:
                recorder.on_variable_read(var, snap)
        y_leaves, y_def = flatten(y)
        results = list(y_leaves)
        floats = [j for j, yj in enumerate(y_leaves) if isinstance(yj, Tensor) and yj._value.dtype.kind in "fc"]
        if floats:  # ONE op from the inputs (and Variables read) to every float output
            prim_args = inputs + [s for _, s in variables]
            sources = inputs + [v for v, _ in variables]
            name = f"recompute_grad({getattr(f, '__name__', 'f')})"
            prim = _p.primitive(_ValueOnce(tuple(y_leaves[j]._value for j in floats)), name)
            _p.set_rules(
                prim,
                joint_vjp=_recompute_vjp(f, args, kwargs, floats, sources, variables),
                joint_jvp=_recompute_jvp(f, args, kwargs, floats, sources, variables),
            )
            # the rules recompute the outputs, so records need not keep them (nor the impl: _ValueOnce)
            prim.reads = ((frozenset(range(len(prim_args))), False),) * len(prim_args)
            for j, r in zip(floats, prim(*prim_args)):
                results[j] = r
        return unflatten(y_def, results)

    return decorated


@contextmanager
def _as_read(variables: list[tuple[Variable, Tensor]]) -> Iterator[None]:
    """The Variables ``f`` read hold, for its recomputation, the values it read (the same snapshots,
    so tapes connect them): one assigned after the call would otherwise give the gradient at its
    new value."""
    held = [(var, var._value, var._snapshot) for var, _ in variables]
    for var, snap in variables:
        var._value, var._snapshot = snap._value, snap
    try:
        yield
    finally:
        for var, value, snapshot in held:
            var._value, var._snapshot = value, snapshot


def _recompute_vjp(
    f: Function, args: tuple, kwargs: dict, floats: list[int], sources: list, variables: list
) -> Callable[..., Any]:
    def joint_vjp(gs: tuple, ans: Any, needs: Any, *inputs: Any) -> list:
        pairs = [(j, g) for j, g in zip(floats, gs) if g is not None]
        raw = not any(isinstance(g, Tensor) for _, g in pairs)
        with recorders_set_to(()) if raw else nullcontext(), _as_read(variables):
            with GradientTape() as tape:  # f once, for every output that received a cotangent
                tape.watch(sources)
                ys = flatten(f(*args, **kwargs))[0]
            seeds = [wrap(g) if raw else g for _, g in pairs]
            grads = tape.gradient([ys[j] for j, _ in pairs], sources, output_gradients=seeds)
        return [None if gi is None else gi._value for gi in grads] if raw else list(grads)

    return joint_vjp


def _recompute_jvp(
    f: Function, args: tuple, kwargs: dict, floats: list[int], sources: list, variables: list
) -> Callable[..., Any]:
    def joint_jvp(tangents: list, ans: Any, *inputs: Any) -> Any:
        pairs = [(s, t) for s, t in zip(sources, tangents) if t is not None]
        if not pairs:
            return None
        raw = state.recorders is RAW  # (ans may be a stand-in: records need not keep the output)
        with recorders_set_to(()) if raw else nullcontext(), _as_read(variables):
            with ForwardAccumulator([s for s, _ in pairs], [t for _, t in pairs]) as acc:
                ys = flatten(f(*args, **kwargs))[0]
            out = [acc.jvp(ys[j]) for j in floats]
        return tuple(None if t is None else t._value if raw else t for t in out)

    return joint_jvp
