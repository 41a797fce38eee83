"""What happens at one op call, and the declarators that build the rule table.

The rule contract
-----------------
A primitive is a NumPy forward function ``impl(*args, **params)`` plus its derivative rules.
Positional arguments are the data (Tensors, arrays or numbers); keyword arguments are parameters
passed unchanged to the forward function and to every rule. ``impl`` returns one array, or a
tuple of arrays for an op with several outputs (``eigh``): the call then returns a tuple of Tensors.

Joint rules (what the walks call; ``ans`` is the output, or the tuple of outputs):
    joint_vjp(g, ans, needs, *args, **params) -> one cotangent per argument (None: none)
        ``g`` is the output cotangent, or a tuple with one per output (None for an output that
        received none); ``needs`` the positions of the arguments whose cotangents are wanted.
    joint_jvp(tangents, ans, *args, **params) -> the output tangent (a tuple for several outputs,
        None where an output gets none); ``tangents[i]`` is None when argument i carries none.
Per-argument rules (the easy way; ``defrule``/``elementwise``/``linear``/``multilinear`` and the
public ``tg.defvjp``/``tg.defjvp`` assemble the joint rules from them, as HIPS autograd's defvjp):
    vjp(g, ans, *args, **params) -> the cotangent of one argument, shaped like it
    jvp(t, ans, *args, **params) -> that argument's contribution to the output tangent (summed)
The walks call per-argument rules directly when an op has them (``prim.vjps``/``prim.jvps``; one
call per record less on the hot path), the joint rule otherwise. Rules are written in tapegrad
ops, so when a tape records the backward pass they build a differentiable graph (higher order for
free); when nothing records it they run on plain NumPy values (``_context.RAW``).
A batching rule ``batch`` says how the op runs on stacks with a leading batch axis (Jacobians run
the rules above on stacks; see ``tapegrad.batching``). What a record keeps is stated in the rules'
signatures: a parameter named ``_x`` is read at most for its shape and dtype (``rule_reads``).
Every flag is an argument of the one declaring statement (``float_out``, ``array_scalars``, ``doc``,
``complex``). ``complex``: the rules hold for complex inputs (docs/complex.md); True by default for
the table's ``elementwise`` rows, ``linear`` and ``multilinear`` (real-only ones such as ``floor``
pass False), else False; ``tests/ops/test_rule_table.py`` holds it to the spec table's complex rows.

The recorder protocol
---------------------
Every primitive call (outside RAW) tells each recorder on ``_context.state.recorders``:
``recorder.record(prim, args, vals, params, result)``: ``args`` the arguments as passed (Variables
already read into plain Tensors), ``vals`` their values, ``result`` the output Tensor (or tuple of
Tensors). Every op is reported, on constants and non-differentiable ops too: a tape filters what it
keeps (``GradientTape.record``), so a tracing recorder (``_context.push(recorder)``) sees the whole
program. Recorders also get ``on_variable_read(variable, snapshot)`` when an op or ``read_value``
reads a Variable, and, where they have them (``_context.tell``), ``on_export(tensor)`` when a tensor
becomes plain numbers (``.numpy()``, ``float()``: tape.explain), ``on_read(tensor, what)`` when Python
reads a value, ``on_assign(variable, method, operand)`` before a Variable changes (tg.function).
A recorder never sees its own bookkeeping: a walk runs rules with the stack set to the recorders
entered before it (or RAW).
"""

from __future__ import annotations

import types
from typing import Any, Callable, Sequence

import numpy as np

from tapegrad import _backend
from tapegrad._context import RAW, state
from tapegrad._dtypes import python_to_array
from tapegrad._record import Meta
from tapegrad._tensor import Tensor, Variable, key_of, ops, wrap
from tapegrad.batching import Stacked, batch_call, broadcasting

_new_tensor = Tensor.__new__
_NUMPY_SCALARS = frozenset({np.float16, np.float32, np.float64, np.longdouble, np.complex64, np.complex128})

Rule = Callable[..., Any]


class PerArgument:
    """Rules for ops with any number of positional arguments: ``rules[i]`` is ``rule`` bound to i."""

    __slots__ = ("rule",)

    def __init__(self, rule: Callable[..., Any]) -> None:
        self.rule = rule

    def __getitem__(self, i: int) -> Rule:
        rule = self.rule
        return lambda g, ans, *args, **params: rule(i, g, ans, *args, **params)

    def __len__(self) -> int:
        return 1 << 30


class Primitive:
    """One op of the rule table. Calling it computes with NumPy and notifies the active recorders."""

    __slots__ = (
        "name", "impl", "vjps", "jvps", "joint_vjp", "joint_jvp", "batch", "doc", "reads", "_keeps", "float_out",
        "array_scalars", "complex", "partials", "taylor", "linear", "batched_vjps",
    )  # fmt: skip

    def __init__(self, name: str, impl: Callable[..., Any], doc: str | None = None) -> None:
        self.name = name
        self.impl = impl
        self.doc = doc or f"tapegrad primitive {name!r} (forward: {getattr(impl, '__name__', impl)})."
        # the rules (see the module docstring); joint_vjp None: not differentiable, never recorded
        self.vjps: Sequence[Rule | None] | None = None
        self.jvps: Sequence[Rule | None] | None = None
        self.joint_vjp: Rule | None = None
        self.joint_jvp: Rule | None = None
        # reads[i]: what the rules of argument i read besides shapes and dtypes, as (argument positions,
        # reads ans); None: taken from the rules' signatures on first use. _keeps caches keeps().
        self.reads: Sequence[Reads | None] | None = None
        self._keeps: dict = {}
        self.batch: Rule | None = None  # how the op runs on stacks (tapegrad.batching); None: once per row
        self.float_out = False  # a floating input always gives a floating output: recorders skip the dtype check
        # True for + - * /: a Python number next to a float array is passed on as a 0-d array
        # (``scalar_operand``), which NumPy computes to the same bits faster than a weak scalar
        self.array_scalars = False
        self.complex = False  # the rules hold for complex inputs (held to the spec table's complex rows)
        # an elementwise op's partial derivatives d(ans, *args) (or constants, 1 or -1), from which the
        # batched walks compute its VJP and JVP directly (tapegrad.batching); None: not elementwise
        self.partials: tuple | None = None
        # the Taylor-mode rule (tapegrad.taylor): a rule, "linear" or "multilinear"; None: from the declarator
        self.taylor: Any = None
        # True when each argument's JVP is the op itself on that argument's tangent (``linear``,
        # ``multilinear``): the batched forward walk runs the batching rule on the stacks directly
        self.linear = False
        # hand-written VJPs on cotangent stacks (``batched_vjps[i](g, ans, *args)``, None: decline), kept
        # only where they measurably beat the batching rule (matmul); None: none
        self.batched_vjps: tuple | None = None

    def __call__(self, *args: Any, **params: Any) -> Any:
        stack = state.recorders
        if stack is RAW:
            return self.impl(*args, **params) if params else self.impl(*args)
        # Fast paths for one or two arguments that are Tensors or Python scalars (a Python scalar
        # next to a tensor stays "weak": it never upcasts); anything else (vals None) takes
        # _convert_arguments.
        n = len(args)
        if n == 1:
            a = args[0]
            vals: Any = (a._value,) if a.__class__ is Tensor else None
        elif n == 2:
            a, b = args
            ca, cb = a.__class__, b.__class__
            if ca is Tensor:
                if cb is Tensor:
                    vals = (a._value, b._value)
                elif cb is float or cb is int:
                    av = a._value
                    if self.array_scalars and av.__class__ is _ndarray:  # scalar_operand, inlined in part
                        operand = _F64_OPERANDS.get(b) if av.dtype is _F64 else None
                        vals = (av, operand if operand is not None else scalar_operand(b, av))
                    else:
                        vals = (av, b)
                elif cb is _ndarray and b.dtype is a._value.dtype:  # kept as it is (_convert_arguments)
                    vals = (a._value, b)
                else:
                    vals = None
            elif cb is Tensor:
                if ca is float or ca is int:
                    bv = b._value
                    vals = (scalar_operand(a, bv) if self.array_scalars and bv.__class__ is _ndarray else a, bv)
                elif ca is _ndarray and a.dtype is b._value.dtype:
                    vals = (a, b._value)
                else:
                    vals = None
            elif ca is Variable and (cb is Variable or cb is float or cb is int):  # as _convert_arguments
                a = a.read_value()
                b = b.read_value() if cb is Variable else b
                args, vals = (a, b), (a._value, b._value if cb is Variable else b)
            else:
                vals = None
        else:
            vals = []
            has_tensor = False
            for a in args:
                kind = a.__class__
                if kind is Tensor:
                    vals.append(a._value)
                    has_tensor = True
                elif kind is float or kind is int:
                    vals.append(a)
                else:
                    vals = None
                    break
            else:
                if not has_tensor:
                    vals = None
        if vals is None:
            args, vals = _convert_arguments(args)
            if vals is None:  # a stack of a batched walk among the arguments: the op's batching rule
                return batch_call(self, args, params)
        try:
            out = self.impl(*vals, **params) if params else self.impl(*vals)
        except (ValueError, TypeError, IndexError, np.linalg.LinAlgError) as err:
            raise type(err)(f"tg.{self.name}: {err} (argument shapes {[np.shape(v) for v in vals]})") from None
        if out.__class__ is tuple:  # several outputs
            result: Any = tuple([_wrapped(o) for o in out])
        else:
            result = _new_tensor(Tensor)
            result._value = out
            result._key = None
        if stack:
            for recorder in stack:
                recorder.record(self, args, vals, params, result)
        return result

    @property
    def differentiable(self) -> bool:
        return self.joint_vjp is not None

    def keeps(self, needs: tuple) -> Keep:
        """What a record must keep when the arguments at ``needs`` carry gradients (cached).

        ``ALL``, or (positions of arguments no rule reads, whether a rule reads ans): records may
        replace those arrays (and ans when unread) by ``Meta`` stand-ins.
        """
        keep = self._keeps.get(needs)
        if keep is None:
            if self.reads is None:
                self.reads = _inferred_reads(self)
            reads = self.reads
            read = merge_reads(*[reads[i] if i < len(reads) else None for i in needs])
            keep = ALL if read is None else (tuple(i for i in range(len(reads)) if i not in read[0]), read[1])
            self._keeps[needs] = keep
        return keep

    def __repr__(self) -> str:
        return f"<tapegrad primitive {self.name}>"


# ---- what a record keeps -----------------------------------------------------------------------
Reads = tuple  # (frozenset of argument positions, reads ans: bool)
Keep = Any  # ALL, or (frozenset of argument positions, keep ans)
ALL = "all"
_NOTHING: Reads = (frozenset(), False)  # an argument without a derivative reads nothing
_AFTER_FIRST = frozenset(range(1, 64))
SMALL_ARRAY_BYTES = 65536  # below this a stand-in costs more time than the memory is worth


def rule_reads(rule: Any, first: int) -> Reads | None:
    """What a rule reads, as its signature states it: (data argument positions, reads ``ans``).

    A parameter whose name starts with ``_`` promises to use at most its ``.shape``/``.dtype``/
    ``.ndim``/``.size``, so a record may keep a ``Meta`` in its place (``lambda ans, _x: ans``:
    exp's derivative reads its output, not its input). ``first`` is the position of the first data
    parameter (``ans`` is the one before it). None: not a plain function, or a ``*args`` not named
    ``_...``: the record keeps everything. ``tests/ops/test_saved_values.py`` reruns every spec
    row keeping nothing else, so a promise broken fails there.
    """
    code = getattr(rule, "__code__", None)
    if not isinstance(rule, types.FunctionType) or code is None:
        return None
    names = code.co_varnames[: code.co_argcount]
    if code.co_flags & 0x04 and not code.co_varnames[code.co_argcount + code.co_kwonlyargcount].startswith("_"):
        return None
    positions = frozenset(i - first for i, name in enumerate(names) if i >= first and not name.startswith("_"))
    return positions, first >= 1 and len(names) >= first and not names[first - 1].startswith("_")


def merge_reads(*reads: Reads | None) -> Reads | None:
    """The union of what several rules read (None if any cannot tell)."""
    positions: set[int] = set()
    ans = False
    for r in reads:
        if r is None:
            return None
        positions.update(r[0])
        ans = ans or r[1]
    return frozenset(positions), ans


def _inferred_reads(prim: Primitive) -> list[Reads | None]:
    vjps, jvps = prim.vjps, prim.jvps
    if vjps is None or isinstance(vjps, PerArgument) or isinstance(jvps, PerArgument):
        return []  # a joint VJP: the records keep everything unless ``reads`` says otherwise
    declared = jvps is None and prim.joint_jvp is not None
    joint = rule_reads(prim.joint_jvp, 2) if declared else (frozenset(), False)
    out = []
    for i, vjp in enumerate(vjps):
        jvp = jvps[i] if jvps is not None and i < len(jvps) else None
        parts = [joint]
        parts += [rule_reads(r, 2) for r in (vjp, jvp) if r is not None]
        out.append(merge_reads(*parts))
    return out


def slim(droppable: tuple, vals: Any) -> Any:
    """A record's ``vals`` with the large arrays at ``droppable`` replaced by Meta stand-ins.

    Arrays under ``SMALL_ARRAY_BYTES`` are kept as they are: a stand-in would save next to nothing,
    and kept values let ``tape.graph()`` and ``tape.explain()`` show them.
    """
    copied = False
    for i in droppable:
        v = vals[i] if i < len(vals) else None
        if v.__class__ is np.ndarray and v.nbytes >= SMALL_ARRAY_BYTES:
            if not copied:
                vals, copied = list(vals), True
            vals[i] = Meta(v)
    return tuple(vals) if copied else vals


_F64, _F32 = np.dtype(np.float64), np.dtype(np.float32)
_F64_OPERANDS: dict = {}  # number -> read-only 0-d float64 array
_F32_OPERANDS: dict = {}
_EXACT_INT = 2**24  # ints up to this are exact in float32 and float64
_ndarray = np.ndarray


def scalar_operand(number: float, like: Any) -> Any:
    """``number`` as a cached read-only 0-d array of ``like``'s dtype, when ``like`` is a float array.

    NumPy computes ``array * 1.01`` (a weak Python scalar) and ``array * array(1.01)`` of the
    array's dtype to the same bits, but the first takes about 410 ns and the second 240 on small
    arrays. Zero keeps its Python form (the cache cannot tell 0.0 from -0.0), as do large ints.
    """
    if like.__class__ is _ndarray and number:
        dtype = like.dtype
        if dtype is _F64:
            cache = _F64_OPERANDS
        elif dtype is _F32:
            cache = _F32_OPERANDS
        else:
            return number
        array = cache.get(number)
        return array if array is not None else _new_operand(cache, number, dtype)
    return number


def _new_operand(cache: dict, number: float, dtype: Any) -> Any:
    if number.__class__ is int and not -_EXACT_INT <= number <= _EXACT_INT:
        return number
    if len(cache) >= 1024:  # many distinct constants (or NaNs, which never compare equal)
        cache.clear()
    array = cache[number] = np.array(number, dtype)
    array.flags.writeable = False
    return array


_wrapped = wrap


def _convert_arguments(args: tuple) -> tuple[tuple, list | None]:
    """Slow path of a call: read Variables, convert Python and NumPy values (TensorFlow's rules).

    ``vals`` is None when a ``batching.Stacked`` is among the arguments (the op then runs by its
    batching rule).

    Non-tensor operands of a floating op take the tensors' dtype (a Python scalar or a float64
    NumPy array never upcasts a float32 tensor). With no tensor among the arguments, Python
    values convert as ``tg.constant`` would.
    """
    vals = []
    read = []
    has_tensor, kind = False, None
    for a in args:  # the common slow case: Variables among Tensors and Python numbers
        kind = a.__class__
        if kind is Variable:
            a = a.read_value()
            kind = Tensor
        if kind is Tensor:
            has_tensor = True
            vals.append(a._value)
        elif kind is float or kind is int:
            vals.append(a)
        else:
            break
        read.append(a)
    else:
        if has_tensor:
            return tuple(read), vals
    args = (*read, *args[len(read) :])  # the Variables read so far stay read
    if kind is Stacked or any(a.__class__ is Stacked for a in args):
        return args, None
    args = list(args)
    dtype = None
    for i, a in enumerate(args):
        if isinstance(a, Tensor):
            if isinstance(a, Variable):
                args[i] = a = a.read_value()
            elif a.__class__ is not Tensor:  # a subclass: recorders see a plain Tensor with its key
                plain = args[i] = Tensor.__new__(Tensor)
                plain._value, plain._key = a._value, key_of(a)
                a = plain
            if dtype is None:
                try:
                    kind = a._value.dtype.kind
                except AttributeError:  # the dtype object of an array-API library (_backend)
                    kind = _backend.kind(a._value.dtype)
                if kind == "f":
                    dtype = a._value.dtype
    if dtype is None and not any(isinstance(a, Tensor) for a in args):
        for i, a in enumerate(args):  # no tensor: convert as tg.constant would (NumPy keeps its dtype)
            if not isinstance(a, (np.ndarray, np.generic)) and a is not None:
                nested = isinstance(a, (list, tuple)) and _holds_tensor(a)
                args[i] = nested_to_tensor(a) if nested else python_to_array(a)
    vals = []
    for i, a in enumerate(args):
        if isinstance(a, Tensor):
            vals.append(a._value)
            continue
        if isinstance(a, (list, tuple)) and a:
            if _holds_tensor(a):  # recorded like tnp.array: the gradient reaches each tensor inside
                a = args[i] = nested_to_tensor(a, dtype)
                vals.append(a._value)
                continue
            a = args[i] = np.asarray(a, dtype=dtype if dtype is not None else None)
        if dtype is not None and isinstance(a, (np.ndarray, np.generic)) and a.dtype.kind == "f" and a.dtype != dtype:
            a = args[i] = a.astype(dtype)
        elif a.__class__ is complex and dtype is _F64:  # a Python complex next to float64 tensors
            # as NumPy's complex128: 1j * np.float64(2.0) is a Python complex (np.float64 subclasses float)
            a = args[i] = np.complex128(a)
        vals.append(a)
    return tuple(args), vals


def _holds_tensor(obj: Any) -> bool:
    """True when a (nested) list or tuple holds a Tensor anywhere."""
    return any(isinstance(o, Tensor) or isinstance(o, (list, tuple)) and _holds_tensor(o) for o in obj)


def nested_to_tensor(obj: Any, dtype: Any = None) -> Tensor:
    """A (nested) list mixing tensors and numbers as one recorded tensor (``tnp.array``'s rule).

    Shape and dtype are NumPy's for the same values (``dtype`` overrides the dtype); the numbers
    become constants and the tensors are stacked with ``ops.stack``, so the gradient reaches each.
    """

    def values(o: Any) -> Any:
        if isinstance(o, Tensor):
            return o.read_value()._value if isinstance(o, Variable) else o._value
        if isinstance(o, (list, tuple)):
            return [values(p) for p in o]
        return o

    try:
        reference = np.asarray(values(obj), dtype=dtype)
    except ValueError as err:
        raise ValueError(f"cannot make one tensor of this nested list: {err}") from None
    kind = reference.dtype

    def build(o: Any) -> Any:
        if isinstance(o, Tensor):
            return o if o.dtype == kind else ops.cast(o, kind)
        if isinstance(o, (list, tuple)) and _holds_tensor(o):
            return ops.stack([build(p) for p in o], axis=0)
        return Tensor(np.asarray(values(o), dtype=kind))

    return build(obj)


# ---- declarators: each builds one row of the rule table --------------------------------------
def primitive(impl: Callable[..., Any], name: str | None = None, doc: str | None = None) -> Primitive:
    """A new (so far non-differentiable) primitive computing ``impl`` with NumPy."""
    return Primitive(name or impl.__name__, impl, doc)


def defvjp(prim: Primitive, *vjps: Rule | None, joint: Rule | None = None) -> Primitive:
    """Give ``prim`` its VJPs: one per positional argument, or one ``joint`` rule."""
    return set_rules(prim, vjps=None if joint is not None else vjps, joint_vjp=joint)


def defjvp(prim: Primitive, *jvps: Rule | None, joint: Rule | None = None) -> Primitive:
    """Give ``prim`` its JVPs: one per positional argument, or one ``joint`` rule."""
    return set_rules(prim, jvps=None if joint is not None else jvps, joint_jvp=joint)


_KEEP: Any = object()


def set_rules(
    prim: Primitive, vjps: Any = _KEEP, jvps: Any = _KEEP, joint_vjp: Rule | None = None,
    joint_jvp: Rule | None = None,
) -> Primitive:  # fmt: skip
    """Set a primitive's reverse rules (``vjps`` per argument, or ``joint_vjp``) and/or its forward
    rules (``jvps`` or ``joint_jvp``); a side given neither keeps its rules. A joint rule wins over
    per-argument ones, which are otherwise assembled into the joint rule."""
    if joint_vjp is not None or vjps is not _KEEP:
        prim.vjps = vjps if joint_vjp is None and vjps else None
        prim.joint_vjp = joint_vjp if joint_vjp is not None else assembled_vjp(vjps) if vjps else None
    if joint_jvp is not None or jvps is not _KEEP:
        prim.jvps = jvps if joint_jvp is None and jvps else None
        prim.joint_jvp = joint_jvp if joint_jvp is not None else assembled_jvp(jvps) if jvps else None
    prim.reads, prim._keeps, prim.partials = None, {}, None  # derived from the rules: derived again
    return prim


def assembled_vjp(vjps: Sequence[Rule | None]) -> Rule:
    """The joint VJP of per-argument ones: each needed argument's rule, None for the others."""

    def joint_vjp(g: Any, ans: Any, needs: Sequence[int], *args: Any, **params: Any) -> list:
        out: list = [None] * len(args)
        for i in needs:
            rule = vjps[i]
            if rule is not None:
                out[i] = rule(g, ans, *args, **params)
        return out

    return joint_vjp


def assembled_jvp(jvps: Sequence[Rule | None]) -> Rule:
    """The joint JVP of per-argument ones: the sum of the arguments' contributions."""

    def joint_jvp(tangents: Sequence[Any], ans: Any, *args: Any, **params: Any) -> Any:
        total = None
        for i, t in enumerate(tangents):
            if t is None:
                continue
            rule = jvps[i]
            if rule is not None:
                total = add_tangents(total, rule(t, ans, *args, **params))
        return total

    return joint_jvp


def add_tangents(a: Any, b: Any) -> Any:
    """a + b where either may be None, or a tuple (one per output) holding Nones."""
    if a is None:
        return b
    if b is None:
        return a
    if a.__class__ is tuple:
        return tuple(add_tangents(x, y) for x, y in zip(a, b))
    return a + b


def defrule(
    impl: Callable[..., Any],
    vjps: Sequence[Rule | None] | PerArgument,
    jvps: Sequence[Rule | None] | PerArgument | None = None,
    joint_jvp: Rule | None = None,
    name: str | None = None,
    reads: Sequence[Reads | None] | None = None,
    joint_vjp: Rule | None = None,
    batch: Rule | None = None,
    float_out: bool = False,
    array_scalars: bool = False,
    complex: bool = False,
    taylor: Any = None,
    partials: tuple | None = None,
    doc: str | None = None,
) -> Primitive:
    """A primitive with explicit VJPs and JVPs, one per positional argument (None: no derivative).

    ``batch``, ``taylor``, ``partials`` (constants here: add's are 1, 1) and the flags are
    ``Primitive``'s. ``reads`` overrides what the records keep (read from the rules' signatures
    otherwise), for rules that pass an argument to a helper reading only its shape and dtype, e.g.
    ``unbroadcast(g, x)``.
    """
    prim = set_rules(primitive(impl, name, doc), vjps, jvps, joint_vjp, joint_jvp)
    prim.reads = reads
    prim.batch, prim.partials = batch, partials
    prim.float_out, prim.array_scalars, prim.complex = float_out, array_scalars, complex
    prim.taylor = taylor
    return prim


def elementwise(
    impl: Callable[..., Any], *partials: Rule | None, name: str | None = None, table: bool = True,
    float_out: bool | None = None, array_scalars: bool = False, vjp: Rule | None = None, doc: str | None = None,
    complex: bool | None = None, taylor: Any = None,
) -> Primitive:  # fmt: skip
    """An elementwise op from its partial derivatives ``d(ans, *args)``: VJP and JVP both follow.

    VJP_i = unbroadcast(g * d_i) to argument i's shape; JVP_i = t_i * d_i. ``table``: a row of
    tapegrad's own rule table, whose ops map floats to floats and take no keyword parameters, so
    the rules can be spelled out per arity; users' elementwise ops (``tg.elementwise``) get the
    general rules. ``float_out`` defaults to ``table``; ``vjp``: a faster VJP of a unary op with the
    same values as the generic one (tanh). ``complex`` defaults to ``table`` (users' ops claim
    nothing); real-only rows (``floor``, ``maximum``) pass ``complex=False``.
    """

    prim = set_rules(
        primitive(impl, name, doc),
        (vjp,) if vjp else tuple(None if d is None else _elementwise_vjp(i, d, table) for i, d in enumerate(partials)),
        tuple(None if d is None else _elementwise_jvp(d, table) for d in partials),
    )
    prim.reads = tuple(_NOTHING if d is None else rule_reads(d, 1) for d in partials)
    prim.float_out = table if float_out is None else float_out
    prim.array_scalars = array_scalars
    prim.complex = table if complex is None else complex
    prim.batch = broadcasting
    prim.partials = partials
    prim.taylor = taylor
    return prim


def _plain_arity(d: Rule) -> int | None:
    """How many data arguments ``d(ans, x, ...)`` takes, if exactly that (no defaults, *args, **kw)."""
    code = getattr(d, "__code__", None)
    if code is None or code.co_flags & 0x0C or code.co_kwonlyargcount or getattr(d, "__defaults__", None):
        return None
    return code.co_argcount - 1


def _elementwise_vjp(i: int, d: Rule, table: bool) -> Rule:
    arity = _plain_arity(d) if table else None  # the hot path: spell out the common arities
    if arity == 1:
        return lambda g, ans, x: g * d(ans, x)  # same shape and dtype as x: nothing to unbroadcast
    if arity == 2:
        if i == 0:
            return lambda g, ans, x, y: unbroadcast(g * d(ans, x, y), x)
        return lambda g, ans, x, y: unbroadcast(g * d(ans, x, y), y)
    return lambda g, ans, *args, **params: unbroadcast(g * d(ans, *args, **params), args[i])


def _elementwise_jvp(d: Rule, table: bool) -> Rule:
    arity = _plain_arity(d) if table else None
    if arity == 1:
        return lambda t, ans, x: t * d(ans, x)
    if arity == 2:
        return lambda t, ans, x, y: t * d(ans, x, y)
    return lambda t, ans, *args, **params: t * d(ans, *args, **params)


def multilinear(
    impl: Callable[..., Any],
    *vjps: Rule | None,
    name: str | None = None,
    batch: Rule | None = None,
    complex: bool = True,
    batched_vjps: tuple | None = None,
) -> Primitive:
    """An op linear in each argument separately (mul, matmul, einsum): JVP_i is the op on t_i.
    ``batched_vjps``: see ``Primitive.batched_vjps``."""
    prim = primitive(impl, name)

    def jvp_at(i: int) -> Rule:
        def jvp(t: Any, ans: Any, *args: Any, **params: Any) -> Any:
            return prim(*args[:i], t, *args[i + 1 :], **params)

        return jvp

    set_rules(prim, vjps, tuple(None if v is None else jvp_at(i) for i, v in enumerate(vjps)))
    prim.batch, prim.batched_vjps = batch, batched_vjps
    prim.float_out = prim.linear = True
    prim.complex = complex
    others = [frozenset(j for j in range(len(vjps)) if j != i) for i in range(len(vjps))]
    prim.reads = tuple(
        None if v is None else merge_reads(rule_reads(v, 2), (others[i], False)) for i, v in enumerate(vjps)
    )
    return prim


def linear(
    impl: Callable[..., Any],
    vjp: Rule,
    name: str | None = None,
    batch: Rule | None = None,
    doc: str | None = None,
    float_out: bool = False,
    complex: bool = True,
) -> Primitive:
    """A unary op linear in its first argument (reshape, sum, transpose): JVP is the op itself."""
    prim = Primitive(name or impl.__name__, impl, doc)
    set_rules(prim, (vjp,), (lambda t, ans, x, *args, **params: prim(t, *args, **params),))
    prim.batch, prim.float_out, prim.complex, prim.linear = batch, float_out, complex, True
    prim.reads = (merge_reads(rule_reads(vjp, 2), (_AFTER_FIRST, False)),)  # the JVP passes them on
    return prim


def nondifferentiable(impl: Callable[..., Any], name: str | None = None, batch: Rule | None = None) -> Primitive:
    """An op whose result is not differentiable (bool or integer valued): never recorded."""
    prim = primitive(impl, name)
    prim.batch = batch
    return prim


# ---- helpers the rules share ------------------------------------------------------------------
def real_for_real(g: Any, like: Any) -> Any:
    """The cotangent ``g`` of a real ``like`` that met complex values (a product with a complex
    operand, a join with complex pieces): its real part, the transpose for the bilinear pairing. An
    imaginary part left there would reach like's producers (``real``, ``abs``, ``cast``, ...) as a
    direction ``like`` does not have. Other dtypes are left as they are."""
    if g.dtype is like.dtype or _backend.kind(g.dtype) != "c" or _backend.kind(like.dtype) == "c":
        return g
    return ops.real(g)


def unbroadcast(g: Any, like: Any) -> Any:
    """Sum a cotangent down to the shape of ``like`` (undo broadcasting) and match its dtype."""
    cls = g.__class__
    if cls is like.__class__:
        if cls in _NUMPY_SCALARS:  # same scalar type: same shape () and dtype
            return g
        if cls is Tensor:  # (a recorded walk: the same test on the values, without properties)
            vcls = g._value.__class__
            if vcls is like._value.__class__ and vcls in _NUMPY_SCALARS:
                return g
    shape = like.shape
    gshape = g.shape
    if gshape == shape and g.dtype is like.dtype:  # the common case (dtype objects are shared)
        return g
    if gshape != shape:
        lead = len(gshape) - len(shape)
        axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and gshape[lead + i] != 1)
        if axes:
            g = ops.sum(g, axis=axes, keepdims=False)
        if g.shape != shape:
            g = ops.reshape(g, shape)
    dtype = like.dtype
    if g.dtype != dtype and dtype.kind in "fc":
        g = ops.cast(g, dtype)
    return g
