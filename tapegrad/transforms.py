"""Function transforms in the style of JAX, built on GradientTape and ForwardAccumulator.

    grad(f)(x)                       df/dx for a scalar f
    value_and_grad(f)(x)             (f(x), df/dx)
    gradients_function(f)(x, n)      TensorFlow eager's: a list with one derivative per argument
    vjp(f, x)  -> (y, vjp_fn)        reverse mode: vjp_fn(v) = v^T J
    jvp(f, (x,), (u,)) -> (y, J u)   forward mode
    jacobian(f)(x)                   the full Jacobian, forward or reverse mode
    hessian(f)(x)                    forward-over-reverse
    hvp(f, (x,), (v,))               Hessian-vector product, forward-over-reverse
    stop_gradient(x)                 the value of x, with no derivative in any mode

Every transform composes with every other and with tapes: ``grad(grad(f))``,
``jacobian(grad(f))``, ``grad`` of a function that uses a tape, a tape around a call to ``grad``.
Arguments and results may be nested lists/tuples/dicts of arrays; derivatives come back in the
structure of the arguments they belong to.

Conversion of arguments: Python floats and float NumPy values become Tensors (Python floats follow
``tg.set_default_float``, float32 by default, as in TensorFlow); Tensors and Variables are used as
they are. ``grad``/``jvp``/``jacobian`` reject integer arguments among the differentiated ones;
``gradients_function`` passes integers through unchanged and gives ``None`` for them (the seed's
``g(3.0, 2)``, whose second argument is a loop count). Unconnected inputs get zeros from the JAX-style
transforms and ``None`` from ``gradients_function`` (TensorFlow's convention).

Jacobians never re-run ``f`` in Python once per row: ``f`` is recorded once on a tape and the tape's
records are walked again per row, backwards with the VJP rules (reverse mode) or forwards with the
JVP rules (forward mode, ``forward.forward_walk``).
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Sequence

import numpy as np

from tapegrad import _context
from tapegrad._context import RAW
from tapegrad._dtypes import python_to_array
from tapegrad._primitive import defrule, nondifferentiable
from tapegrad._structure import flatten, map_structure, unflatten
from tapegrad._tensor import Tensor, Variable, ops, wrap
from tapegrad.backward import UnconnectedGradients
from tapegrad.batching import broadcasting, in_chunks
from tapegrad.forward import ForwardAccumulator, forward_walk
from tapegrad.tape import GradientTape

__all__ = [
    "grad",
    "value_and_grad",
    "gradients_function",
    "value_and_gradients_function",
    "vjp",
    "jvp",
    "jacobian",
    "jacfwd",
    "jacrev",
    "hessian",
    "hvp",
    "stop_gradient",
]

Function = Callable[..., Any]
ArgNums = int | Sequence[int]

# A fresh tensor per differentiated argument (recorded, so outer tapes and accumulators follow it):
# the same tensor passed twice, f(x, x), then still has one partial derivative per position.
_PASS = (lambda g, _ans, _x: g,)
_identity = defrule(
    lambda x: x, vjps=_PASS, jvps=_PASS, name="identity", float_out=True, batch=broadcasting, partials=(1,)
)


def _fresh(x: Tensor) -> Tensor:
    """A new tensor with ``x``'s value: recorded as identity(x) when a tape or accumulator is active
    (so it follows x), a plain copy of the reference otherwise (nothing could follow it anyway)."""
    stack = _context.state.recorders
    if stack and stack is not RAW:
        return _identity(x)
    return wrap(x._value)


_stop_gradient = nondifferentiable(lambda x: x, name="stop_gradient")


def stop_gradient(x: Any) -> Any:
    """The value of ``x`` as a constant: no tape records it and no tangent flows through it.

    So its derivative is None (or zero) in reverse mode, forward mode and every higher order, as
    TensorFlow's ``tf.stop_gradient`` and JAX's ``lax.stop_gradient``. Nested lists/tuples/dicts of
    tensors are handled leaf by leaf.
    """
    if isinstance(x, (list, tuple, dict)):
        return map_structure(stop_gradient, x)
    return _stop_gradient(x)


# ---- arguments ------------------------------------------------------------------------------------
def _argnums(argnums: ArgNums, what: str) -> tuple[tuple[int, ...], bool]:
    """The positions as a tuple, and whether the user gave a single int (results then unwrapped)."""
    if isinstance(argnums, (int, np.integer)) and not isinstance(argnums, bool):
        return (int(argnums),), True
    if isinstance(argnums, (list, tuple)) and argnums and all(
        isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in argnums
    ):
        return tuple(int(a) for a in argnums), False
    raise TypeError(f"{what}: argnums must be an int or a non-empty tuple of ints, got {argnums!r}")


def _positions(argnums: tuple[int, ...], nargs: int, what: str) -> tuple[int, ...]:
    out = []
    for a in argnums:
        if not -nargs <= a < nargs:
            raise ValueError(
                f"{what}: argnums={a} but the function was called with {nargs} positional argument(s); "
                "argnums counts positional arguments from 0"
            )
        out.append(a % nargs)
    if len(set(out)) != len(out):
        raise ValueError(f"{what}: argnums {argnums} repeats a position")
    return tuple(out)


def _is_integer(x: Any) -> bool:
    if isinstance(x, (bool, int, np.integer, np.bool_)):
        return True
    if isinstance(x, Tensor):
        return x._value.dtype.kind in "biu"
    return isinstance(x, np.ndarray) and x.dtype.kind in "biu"


def _source(x: Any, position: int, strict: bool, what: str) -> tuple[Any, bool]:
    """A differentiated leaf as a watched value; (value, False) for what is passed through untouched."""
    if x.__class__ is Tensor and x._value.dtype.kind == "f":  # the common case
        return _fresh(x), True
    if x is None or isinstance(x, (str, bytes)) or callable(x) and not isinstance(x, Tensor):
        return x, False
    if _is_integer(x):
        if strict:
            raise TypeError(
                f"{what}: argument {position} holds an integer value ({x!r:.40}); derivatives are taken "
                "with respect to float values, so pass e.g. 3.0 instead of 3, or leave it out of argnums"
            )
        return x, False
    if isinstance(x, Variable):
        return x, True
    if isinstance(x, Tensor):
        if x._value.dtype.kind not in "fc":
            return x, False
        return _fresh(x), True
    try:
        value = python_to_array(x)
    except TypeError as err:
        raise TypeError(f"{what}: argument {position} cannot be differentiated: {err}") from None
    if value.dtype.kind not in "fc":
        if strict:
            raise TypeError(f"{what}: argument {position} has dtype {value.dtype}, which has no derivative")
        return x, False
    return wrap(value), True


def _callable(f: Any, what: str) -> None:
    """Reject a non-function at once (``tg.grad(3.0)``), not at its first call."""
    if not callable(f):
        raise TypeError(f"{what} takes a function to differentiate, got a {type(f).__name__} ({f!r:.40})")


class _Arguments:
    """The call's positional arguments with the differentiated ones converted and flattened."""

    def __init__(self, args: Sequence[Any], positions: tuple[int, ...], strict: bool, what: str) -> None:
        self.args = list(args)
        self.groups: list[tuple[Any, list, list[bool]]] = []  # (treedef, leaves, is_source) per position
        for p in positions:
            leaves, treedef = flatten(self.args[p])
            converted, flags = [], []
            for leaf in leaves:
                value, is_source = _source(leaf, p, strict, what)
                converted.append(value)
                flags.append(is_source)
            if strict and leaves and not any(flags):
                raise TypeError(
                    f"{what}: argument {p} is a {type(self.args[p]).__name__} ({self.args[p]!r:.40}), which holds "
                    "no float value to differentiate; pass a number, an array or a tensor, or leave it out of argnums"
                )
            self.args[p] = unflatten(treedef, converted)
            self.groups.append((treedef, converted, flags))

    def sources(self) -> list:
        return [x for _, leaves, flags in self.groups for x, f in zip(leaves, flags) if f]

    def regroup(self, values: list, single: bool) -> Any:
        """Per-source values back into the arguments' structures (None where not a source)."""
        it = iter(values)
        out = []
        for treedef, _, flags in self.groups:
            out.append(unflatten(treedef, [next(it) if f else None for f in flags]))
        return out[0] if single else tuple(out)


def _split_aux(result: Any, has_aux: bool, what: str) -> tuple[Any, Any]:
    if not has_aux:
        return result, None
    if not isinstance(result, (list, tuple)) or len(result) != 2:
        raise TypeError(
            f"{what}(has_aux=True) needs the function to return a pair (output, auxiliary data), "
            f"got {type(result).__name__}"
        )
    return result[0], result[1]


def _as_tensor_output(y: Any, what: str) -> Tensor:
    if isinstance(y, Variable):
        return y.read_value()
    if isinstance(y, Tensor):
        return y
    try:
        return wrap(python_to_array(y))
    except TypeError:
        raise TypeError(
            f"{what}: the function returned a {type(y).__name__}; it must return tg.Tensors "
            "(or numbers, or nested lists/tuples/dicts of them)"
        ) from None


def _flatten_as(treedef: Any, value: Any, what: str) -> list:
    """The leaves of ``value`` taken in the structure ``treedef`` (of another tree, e.g. the output):
    what sits where that structure has a leaf stays one value, even a Python list of numbers."""
    out: list = []

    def walk(node: Any, v: Any) -> None:
        if node is None:
            out.append(v)
            return
        kind, children = node  # _structure's treedef: None for a leaf, (type, children) otherwise
        if children.__class__ is int:  # a flat sequence of that many leaves
            children = [None] * children
        if kind is dict:
            if not isinstance(v, dict) or set(v) != {k for k, _ in children}:
                raise ValueError(f"{what} must have the same structure as the output (a dict with the same keys)")
            for k, c in children:
                walk(c, v[k])
            return
        if not isinstance(v, (list, tuple)) or len(v) != len(children):
            raise ValueError(
                f"{what} must have the same structure as the output: expected a sequence of {len(children)}, "
                f"got {type(v).__name__}"
            )
        for c, item in zip(children, v):
            walk(c, item)

    walk(treedef, value)
    return out


def _like(value: Any, ref: Tensor) -> Tensor:
    """A user's tangent or cotangent as a Tensor of ``ref``'s dtype (so nested lists stay one value)."""
    if ref._value.dtype.kind != "c" and np.iscomplexobj(value._value if isinstance(value, Tensor) else value):
        raise TypeError(
            f"a complex tangent or cotangent for a value of dtype {ref.dtype}: real values take real ones "
            "(the imaginary part would be dropped)"
        )
    if isinstance(value, Tensor):
        return value
    return wrap(python_to_array(value, ref._value.dtype if ref._value.dtype.kind in "fc" else None))


def _zeros_like(x: Any) -> Tensor:
    ref = x.snapshot() if isinstance(x, Variable) else x
    return wrap(np.zeros_like(ref._value))


# ---- reverse mode -----------------------------------------------------------------------------
def value_and_grad(f: Function, argnums: ArgNums = 0, has_aux: bool = False) -> Function:
    """A function returning ``(f(*args), gradient)``; ``((value, aux), gradient)`` with ``has_aux``.

    ``f`` must return a float scalar (a complex one means its real part, as ``tape.gradient``). The
    gradient has the structure of ``args[argnums]`` (a tuple of them when ``argnums`` is a tuple);
    inputs that ``f`` does not depend on get zeros. For complex inputs it is dL/dx + i dL/dy,
    TensorFlow's convention (JAX's ``grad`` gives the conjugate); see ``tapegrad.backward``.
    """
    _callable(f, "value_and_grad")
    nums, single = _argnums(argnums, "value_and_grad")
    name = "grad"

    @functools.wraps(f)
    def value_and_grad_f(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        call = _Arguments(args, _positions(nums, len(args), name), True, name)
        sources = call.sources()
        with GradientTape() as tape:
            tape.watch(sources)
            result = f(*call.args, **kwargs)
        out, aux = _split_aux(result, has_aux, name)
        y = _as_tensor_output(out, name)
        if y.shape != ():
            raise TypeError(
                f"{name} needs a function with a scalar output, this one returned shape {y.shape}; "
                "reduce it (e.g. tg.reduce_sum), or use tg.vjp, tg.jacobian or tg.gradients_function"
            )
        if y._value.dtype.kind not in "fc":
            raise TypeError(f"{name} needs a float output, the function returned dtype {y.dtype}")
        grads = tape.gradient(y, sources, unconnected_gradients=UnconnectedGradients.ZERO) if sources else []
        value = (out, aux) if has_aux else out
        return value, call.regroup(list(grads), single)

    return value_and_grad_f


def grad(f: Function, argnums: ArgNums = 0, has_aux: bool = False) -> Function:
    """The gradient of a scalar-valued ``f`` with respect to ``args[argnums]`` (JAX's ``grad``).

    >>> import tapegrad as tg
    >>> float(tg.grad(lambda x: x ** 3)(2.0))
    12.0
    >>> float(tg.grad(tg.grad(lambda x: x ** 3))(2.0))
    12.0

    With ``has_aux=True`` ``f`` returns ``(output, aux)`` and the result is ``(gradient, aux)``.
    """
    _callable(f, "grad")
    value_and_grad_f = value_and_grad(f, argnums, has_aux)

    @functools.wraps(f)
    def grad_f(*args: Any, **kwargs: Any) -> Any:
        value, g = value_and_grad_f(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return grad_f


def value_and_gradients_function(f: Function, params: Sequence[int] | None = None) -> Function:
    """TensorFlow eager's ``val_and_grad_function``: ``(f(*args), [df/dargs[i] for i in params])``.

    A non-scalar output (or a list of outputs) is differentiated as the sum of its elements, unless
    the ``dy=`` keyword gives the output gradients. Integer arguments (loop counts) are passed
    through unchanged and get ``None``, as do arguments ``f`` does not depend on.
    """
    _callable(f, "gradients_function")
    what = "gradients_function"

    @functools.wraps(f)
    def decorated(*args: Any, dy: Any = None, **kwargs: Any) -> tuple[Any, list]:
        nums = tuple(range(len(args))) if params is None else _argnums(tuple(params), what)[0]
        call = _Arguments(args, _positions(nums, len(args), what) if nums else (), False, what)
        sources = call.sources()
        with GradientTape() as tape:
            tape.watch(sources)
            value = f(*call.args, **kwargs)
        leaves, out_def = flatten(value)
        targets = [_as_tensor_output(y, what) for y in leaves]
        seeds = None
        if dy is not None:
            seeds = _flatten_as(out_def, dy, f"{what}: dy")
            seeds = [_like(s, t) for s, t in zip(seeds, targets)]
        keep = [i for i, t in enumerate(targets) if t._value.dtype.kind in "fc"]
        if sources and keep:
            given = None if seeds is None else [seeds[i] for i in keep]
            grads = tape.gradient([targets[i] for i in keep], sources, output_gradients=given)
        else:
            grads = [None] * len(sources)
        per_arg = call.regroup(list(grads), False)
        return value, list(per_arg)

    return decorated


def gradients_function(f: Function, params: Sequence[int] | None = None) -> Function:
    """TensorFlow eager's ``tfe.gradients_function``: a list of derivatives, one per argument.

    >>> import tapegrad as tg
    >>> from math import pi
    >>> grad_f = tg.gradients_function(lambda x: tg.square(tg.sin(x)))
    >>> abs(float(grad_f(pi / 2)[0])) < 1e-7
    True
    """
    val_and_grad = value_and_gradients_function(f, params)

    @functools.wraps(f)
    def decorated(*args: Any, dy: Any = None, **kwargs: Any) -> list:
        return val_and_grad(*args, dy=dy, **kwargs)[1]

    return decorated


def vjp(f: Function, *primals: Any, has_aux: bool = False) -> tuple[Any, ...]:
    """``(f(*primals), vjp_fn)``: ``vjp_fn(v)`` is a tuple with v^T J for each primal.

    ``v`` has the structure of ``f``'s output. ``f`` is recorded once; ``vjp_fn`` can be called many
    times (each call walks the recorded tape backwards). With ``has_aux`` returns
    ``(out, vjp_fn, aux)``.
    """
    _callable(f, "vjp")
    what = "vjp"
    call = _Arguments(primals, tuple(range(len(primals))), True, what)
    sources = call.sources()
    with GradientTape(persistent=True) as tape:
        tape.watch(sources)
        result = f(*call.args)
    out, aux = _split_aux(result, has_aux, what)
    leaves, out_def = flatten(out)
    targets = [_as_tensor_output(y, what) for y in leaves]

    def vjp_fn(cotangent: Any) -> tuple:
        cts = _flatten_as(out_def, cotangent, "vjp_fn's cotangent")
        keep = [i for i, (t, c) in enumerate(zip(targets, cts)) if c is not None and t._value.dtype.kind in "fc"]
        cts = [c if c is None else _like(c, t) for c, t in zip(cts, targets)]
        if not keep or not sources:
            grads = [_zeros_like(s) for s in sources]
        else:
            grads = tape.gradient(
                [targets[i] for i in keep],
                sources,
                output_gradients=[cts[i] for i in keep],
                unconnected_gradients=UnconnectedGradients.ZERO,
            )
        return call.regroup(list(grads), False)

    return (out, vjp_fn, aux) if has_aux else (out, vjp_fn)


# ---- forward mode ------------------------------------------------------------------------------
def _tangent_leaves(primal: Any, tangent: Any, position: int) -> list:
    return _flatten_as(flatten(primal)[1], tangent, f"jvp: tangent {position}")


def jvp(f: Function, primals: Sequence[Any], tangents: Sequence[Any], has_aux: bool = False) -> tuple[Any, ...]:
    """``(f(*primals), J @ tangents)`` by forward mode (JAX's ``jvp``).

    ``primals`` and ``tangents`` are tuples (or lists) with one entry per argument of ``f``, in the
    same structure. Outputs that do not depend on the primals get a zero tangent.

    >>> import tapegrad as tg, numpy as np
    >>> y, t = tg.jvp(lambda x: tg.sin(x ** 2), (np.float64(3.0),), (np.float64(1.0),))
    >>> round(float(t), 2)
    -5.47
    """
    _callable(f, "jvp")
    what = "jvp"
    if not isinstance(primals, (list, tuple)) or not isinstance(tangents, (list, tuple)):
        raise TypeError("jvp(f, primals, tangents): primals and tangents must be tuples, one entry per argument of f")
    if len(primals) != len(tangents):
        raise ValueError(f"jvp got {len(primals)} primals but {len(tangents)} tangents; give one tangent per primal")
    call = _Arguments(primals, tuple(range(len(primals))), True, what)
    p_list, t_list = [], []
    for p, ((_, leaves, flags), tangent) in enumerate(zip(call.groups, tangents)):
        for x, is_source, t in zip(leaves, flags, _tangent_leaves(primals[p], tangent, p)):
            if is_source:
                if t is None:
                    raise TypeError(f"jvp: a tangent of argument {p} is None; give an array shaped like its primal")
                p_list.append(x)
                t_list.append(_like(t, x.snapshot() if isinstance(x, Variable) else x))
    with ForwardAccumulator(p_list, t_list) as acc:
        result = f(*call.args)
    out, aux = _split_aux(result, has_aux, what)
    leaves, out_def = flatten(out)
    ys = [_as_tensor_output(y, what) for y in leaves]
    ts = [acc.jvp(y, unconnected_gradients=UnconnectedGradients.ZERO) for y in ys]
    tangent_out = unflatten(out_def, ts)
    return (out, tangent_out, aux) if has_aux else (out, tangent_out)


# ---- Jacobians -----------------------------------------------------------------------------------
def _source_keys(tape: GradientTape, source: Any) -> tuple[Tensor, list[int]]:
    return tape.source_keys(source)


def _reverse_blocks(tape: GradientTape, outs: list[Tensor], sources: list) -> list[list]:
    blocks = []
    for y in outs:
        if y._value.dtype.kind not in "fc":
            blocks.append([wrap(np.zeros(y.shape + _zeros_like(s).shape, dtype=_zeros_like(s).dtype)) for s in sources])
            continue
        blocks.append(list(tape.jacobian(y, sources, unconnected_gradients=UnconnectedGradients.ZERO)))
    return blocks


def _forward_blocks(tape: GradientTape, outs: list[Tensor], sources: list, holomorphic: bool = False) -> list[list]:
    """Forward mode: per source, one batched forward walk pushing every input direction at once.

    With ``holomorphic`` a complex source's columns (derivatives along its real parts) are checked to
    be the whole derivative (``_check_holomorphic``)."""
    raw = not _context.state.recorders
    records = tape.records
    blocks: list[list] = [[] for _ in outs]
    wanted = {y._key for y in outs}
    for s in sources:
        ref, keys = _source_keys(tape, s)
        size = int(np.size(ref._value))
        seeds = np.eye(size, dtype=ref._value.dtype).reshape((size, *ref.shape))

        def walk_rows(rows: slice, seeds: Any = seeds, keys: list = keys) -> list:
            chunk = seeds[rows]
            seeded = {key: chunk if raw else wrap(chunk) for key in keys}
            found = forward_walk(records, seeded, raw, batch=rows.stop - rows.start, keep=wanted)
            return [found.get(y._key) for y in outs]  # (rows, *y.shape) each, or None

        def zeros(o: int, n: int) -> Any:
            return np.zeros((n, *outs[o].shape), dtype=outs[o].dtype)

        stacks = in_chunks(records, size, walk_rows, zeros) if size else [None] * len(outs)
        if holomorphic and size and ref._value.dtype.kind == "c":  # along the real parts: whole when holomorphic
            along_imag = in_chunks(records, size, lambda rows, s=seeds * 1j: walk_rows(rows, s), zeros)
            _check_holomorphic(stacks, along_imag, outs)
        for o, y in enumerate(outs):
            stack = stacks[o]
            if y._value.dtype.kind not in "fc" or not size:
                dtype = y.dtype if y.dtype.kind in "fc" else ref.dtype
                blocks[o].append(wrap(np.zeros(y.shape + ref.shape, dtype=dtype)))
                continue
            if stack is None:
                stack = zeros(o, size)
            stack = stack if isinstance(stack, Tensor) else wrap(stack)
            moved = ops.transpose(stack, (*range(1, 1 + y.ndim), 0))
            blocks[o].append(ops.reshape(moved, y.shape + ref.shape))
    return blocks


def _check_holomorphic(along_real: list, along_imag: list, outs: list[Tensor]) -> None:
    """Refuse a forward Jacobian of complex inputs whose columns would drop a derivative.

    The columns are derivatives along the real parts; they are the whole derivative only when each
    column along the imaginary part is i times it (Cauchy-Riemann, f holomorphic). Otherwise (|z|**2,
    conj, a real output of a complex input) the Jacobian would silently lose d/dy.
    """
    for y, a, b in zip(outs, along_real, along_imag):
        if a is None and b is None:
            continue
        a, b = (np.asarray(s._value if isinstance(s, Tensor) else s) if s is not None else None for s in (a, b))
        a = np.zeros_like(b) if a is None else a
        b = np.zeros_like(a) if b is None else b
        eps = np.finfo(np.result_type(a.dtype, b.dtype, np.complex64)).eps
        scale = max(float(np.max(np.abs(a), initial=0.0)), float(np.max(np.abs(b), initial=0.0)), 1.0)
        if not np.allclose(b, 1j * a, rtol=0.0, atol=1e3 * eps * scale):
            raise ValueError(
                f"jacobian: f is not holomorphic in its complex inputs (output of dtype {y.dtype}), so its "
                "Jacobian is not one complex matrix: the derivatives along the real parts would drop those "
                "along the imaginary parts. Use tg.jvp(f, (z,), (u,)) with u = 1 and u = 1j for both, or "
                "tape.jacobian / tg.grad of a real output for gradients dL/dx + i dL/dy, or mode='forward' "
                "for the columns along the real parts alone"
            )


def jacobian(f: Function, argnums: ArgNums = 0, mode: str = "auto", has_aux: bool = False) -> Function:
    """The Jacobian of ``f`` with respect to ``args[argnums]``: blocks of shape ``out.shape + in.shape``.

    ``mode="reverse"`` walks the recorded tape backwards once per output element, ``"forward"``
    forwards once per input element, ``"auto"`` picks forward when the inputs have fewer elements
    than the outputs, and always for complex inputs or outputs (a column is then the derivative along the
    real parts: for holomorphic ``f`` the complex derivative, as JAX's ``holomorphic=True``). In
    ``"auto"`` mode an ``f`` that is not holomorphic in a complex input, such as ``abs(z)**2``, is
    refused rather than given half its derivative; ``mode="forward"`` asks for the columns along the
    real parts as they are (JVPs along the real basis directions). ``f`` runs
    once either way. The result has the structure of ``f``'s output,
    each leaf holding the structure of ``args[argnums]`` (a tuple of them for a tuple ``argnums``).
    """
    _callable(f, "jacobian")
    if mode not in ("auto", "forward", "reverse"):
        raise ValueError(f"jacobian: mode must be 'auto', 'forward' or 'reverse', got {mode!r}")
    nums, single = _argnums(argnums, "jacobian")
    what = "jacobian"

    @functools.wraps(f)
    def jacobian_f(*args: Any, **kwargs: Any) -> Any:
        call = _Arguments(args, _positions(nums, len(args), what), True, what)
        sources = call.sources()
        with GradientTape(persistent=True) as tape:
            tape.watch(sources)
            result = f(*call.args, **kwargs)
        out, aux = _split_aux(result, has_aux, what)
        leaves, out_def = flatten(out)
        outs = [_as_tensor_output(y, what) for y in leaves]
        for k, y in enumerate(outs):
            if y._value.dtype.kind not in "fc":
                raise TypeError(
                    f"{what}: output {k} has dtype {y.dtype}, and integer or bool outputs are not differentiable; "
                    "return float results (e.g. tg.cast(y, tg.float64) if that is what you mean), or leave it out"
                )
        n_in = sum(int(np.size(_zeros_like(s)._value)) for s in sources)
        n_out = sum(int(y.size) for y in outs)
        forward = mode == "forward" or (mode == "auto" and n_in < n_out)
        if not forward and _any_complex(sources, outs):
            if mode == "reverse":
                raise ValueError(
                    "jacobian: with complex inputs or outputs reverse mode gives gradients (rows d/dx + i d/dy "
                    "of real parts, as tape.jacobian does), not the Jacobian; use mode='forward' or 'auto'"
                )
            forward = True  # columns: derivatives along the real parts (the complex derivative when holomorphic)
        if sources and forward:
            blocks = _forward_blocks(tape, outs, sources, holomorphic=mode == "auto")
        elif sources:
            blocks = _reverse_blocks(tape, outs, sources)
        else:
            blocks = [[] for _ in outs]
        jac = unflatten(out_def, [call.regroup(row, single) for row in blocks])
        return (jac, aux) if has_aux else jac

    return jacobian_f


def _any_complex(sources: list, outs: list) -> bool:
    refs = [s.snapshot() if isinstance(s, Variable) else s for s in sources]
    return any(t._value.dtype.kind == "c" for t in (*refs, *outs))


def jacfwd(f: Function, argnums: ArgNums = 0, has_aux: bool = False) -> Function:
    """``jacobian(f, argnums, mode="forward")``."""
    return jacobian(f, argnums, mode="forward", has_aux=has_aux)


def jacrev(f: Function, argnums: ArgNums = 0, has_aux: bool = False) -> Function:
    """``jacobian(f, argnums, mode="reverse")``."""
    return jacobian(f, argnums, mode="reverse", has_aux=has_aux)


def hessian(f: Function, argnums: ArgNums = 0) -> Function:
    """The Hessian of a scalar ``f``, forward-over-reverse: the forward-mode Jacobian of ``grad(f)``.

    For a tuple ``argnums`` the result is nested: ``H[i][j]`` = d2f / d args[i] d args[j].

    >>> import tapegrad as tg, numpy as np
    >>> tg.hessian(lambda v: v[0] ** 2 * v[1] + v[1] + 2)(np.array([3.0, 4.0])).numpy()
    array([[8., 6.],
           [6., 0.]])
    """
    _callable(f, "hessian")
    return jacobian(grad(f, argnums), argnums, mode="forward")


def hvp(f: Function, primals: Sequence[Any], tangents: Sequence[Any]) -> Any:
    """The Hessian of scalar ``f`` at ``primals`` times ``tangents``, forward-over-reverse.

    ``primals`` and ``tangents`` are tuples with one entry per argument of ``f``; the result is
    shaped like the first argument when there is one, else a tuple with one entry per argument.
    """
    _callable(f, "hvp")
    if not isinstance(primals, (list, tuple)) or not isinstance(tangents, (list, tuple)):
        raise TypeError("hvp(f, primals, tangents): primals and tangents must be tuples, one entry per argument of f")
    n = len(primals)
    if n == 0:
        raise ValueError("hvp needs at least one primal")
    _, out = jvp(grad(f, argnums=tuple(range(n))), primals, tangents)
    return out[0] if n == 1 else out
