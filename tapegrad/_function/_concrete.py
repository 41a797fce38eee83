"""One traced program of a tg.function, its generated code, and its derivatives as generated code.

Called with no recorder active, a ConcreteFunction runs its generated code on NumPy values. Under
tapes or forward accumulators it runs a variant that also returns what its backward pass needs,
and each output becomes one record of a per-call primitive: its VJP runs the generated backward
code (first order, on NumPy values) or, when an outer tape records the backward pass (higher
order), a tg.function of the replayed program's own VJP (JVP likewise), so every order is exact.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tapegrad import _context
from tapegrad._context import RAW, state
from tapegrad._function._codegen import (
    RETRACE,
    compile_source,
    generate,
    guard_after_effect,
    plan,
)
from tapegrad._function._trace import Assign, Effect, Guard, Load, Op, Tracer, guard_value, reads
from tapegrad._primitive import Primitive
from tapegrad._structure import flatten, unflatten
from tapegrad._tensor import Tensor, Variable, key_of, wrap

EAGER = object()  # call_taped's answer when the program cannot run under recorders (it changes Variables)
COMPILE_AFTER = 8  # plain calls that run the program line by line before its code is generated (see _interpreted)


class ConcreteFunction:
    """A traced program for one input signature (and one path through its guards)."""

    def __init__(
        self,
        owner: Any,
        tracer: Tracer,
        params: list[str],
        param_leaves: list[int],
        arg_slots: dict,
        outputs: list,
        out_treedef: Any,
        unique_inputs: list[int],
    ) -> None:
        self.owner = owner
        self.lines = tracer.lines
        self.values = tracer.values
        self.slots = tracer.slot_order
        # tensors read as constants: a call under a recorder that tracks one of them runs eagerly
        self.captured = list(tracer.captured.values())
        self.params = params  # the generated function's parameters, one per tensor-like leaf
        self.param_leaves = param_leaves  # which argument leaves they come from
        self.outputs = outputs  # per flat output: ("v", name) | ("arg", leaf index) | ("c", object)
        self.out_treedef = out_treedef
        self.unique_inputs = unique_inputs  # param positions that are not aliases of an earlier one
        kinds = {x.__class__ for x in self.lines}
        self.changes_state = Assign in kinds or Effect in kinds
        self.custom = tracer.custom  # it calls a custom_gradient: under recorders it runs eagerly
        self.value_names = [o[1] for o in outputs if o[0] == "v"]
        self.arg_slots = arg_slots
        self.guarded = Guard in kinds
        self.guard_after_effect = self.guarded and Effect in kinds and guard_after_effect(self.lines)
        self._plan: Any = None  # the program as it runs (_codegen.Plan), made at the first call after the trace
        self._interpreted_calls = 0
        self._generated: Any = None  # (call source, namespace, facts) once generated
        self._source: str | None = None
        self._fn: Any = None
        # the first calls run the program line by line; then it is generated and compiled once
        self.call: Any = self._interpreted if COMPILE_AFTER > 0 else self._compiled_call()
        forget_values(self.lines, self.values)
        self.example: list | None = None  # input values for vjp_source (set by get_concrete_function)
        self._pure: Any = None
        self._taped: Any = None
        self._jvp_fn: Any = None
        names = self.pure_inputs()  # outputs that are inputs (a Variable's value, returned as read)
        self.passed_through = [(k, names.index(o)) for k, o in enumerate(self.value_names) if o in names]

    # ---- plain calls: the program line by line, then generated code ------------------------------
    def _planned(self) -> Any:
        if self._plan is None:
            self._plan = plan(self.lines, self.value_names, self.values, None, self.params)
        return self._plan

    def _generate(self) -> tuple:
        if self._generated is None:
            self._generated = generate(
                self.lines,
                self.params,
                self.slots,
                self.arg_slots,
                self.value_names,
                self.values,
                title="forward",
                result=self._result_expression,
                planned=self._planned(),
            )
        return self._generated

    def _compiled_call(self) -> Any:
        source, namespace, _ = self._generate()
        return compile_source(source, namespace, "call")

    def _interpreted(self, leaves: list, *vals: Any) -> Any:
        """A call before the code exists: the program the code would print (its Plan) runs line by
        line on NumPy values: the same ops on the same values, so the same bits.

        Generating and compiling the code costs about as much as 5-10 calls lose by running line by
        line, for small programs and large alike (W1-W7: ``benchmarks/function_vs_jit.py``), so it
        is done after COMPILE_AFTER such calls: a function called a few times never pays for it,
        and one called often pays about twice the least it could at most (the ski-rental rule)."""
        self._interpreted_calls += 1
        if self._interpreted_calls > COMPILE_AFTER:
            self.call = call = self._compiled_call()
            return call(leaves, *vals)
        planned = self._planned()
        env = dict(zip(self.params, vals))
        arg_slots = self.arg_slots
        variables = [env[arg_slots[j]] if j in arg_slots else s.var for j, s in enumerate(self.slots)]
        pending: dict[int, Any] = {}  # Variable slot -> its new value, stored at an effect or the end
        freed = planned.freed
        try:  # (an op that raises: the assignments before it were made, as eagerly)
            for i, line in enumerate(planned.kept):
                kind = line.__class__
                if kind is Op:
                    args = [env[a] if a.__class__ is str else a.value for a in line.args]
                    impl = line.prim.impl
                    out = impl(*args, **line.params) if line.params else impl(*args)
                    if line.out.__class__ is tuple:
                        env.update(zip(line.out, out))
                    else:
                        env[line.out] = out
                elif kind is Guard:
                    if guard_value(env[line.name], line.what) != line.expected:
                        return RETRACE
                elif kind is Load:
                    env[line.out] = variables[line.var]._value
                elif kind is Assign:
                    operand = env[line.operand] if line.operand.__class__ is str else line.operand.value
                    checked = variables[line.var]._checked(operand, line.method)
                    if line.method == "assign":
                        value = checked
                    elif line.method == "assign_add":
                        value = env[line.current] + checked
                    else:
                        value = env[line.current] - checked
                    env[line.out] = pending[line.var] = value
                else:  # an Effect: the Variables' new values are stored first
                    _store(pending, variables)
                    pending = {}
                    args = []
                    for a in line.args:  # a Variable (its slot), a traced value (its name) or a constant
                        arg = variables[a[1]] if a.__class__ is tuple else env[a] if a.__class__ is str else a.value
                        args.append(arg)
                    line.fn(*args)
                if freed:
                    for name in freed.get(i, ()):
                        del env[name]
        except BaseException:
            _store(pending, variables)
            raise
        _store(pending, variables)
        return self._assemble([env[name] for name in planned.outputs], leaves, wrap_values=True)

    # ---- inputs of the pure program (for derivatives): unique tensor parameters, then Variable loads
    def pure_inputs(self) -> list[str]:
        loads = [x.out for x in self.lines if x.__class__ is Load]
        return [self.params[i] for i in self.unique_inputs] + loads

    def _result_expression(self, names: list) -> tuple[str, dict]:
        """The user-facing result (Tensors in the output structure) as an expression over the
        value ``names`` and the argument leaves ``L``, with the namespace entries it needs."""
        ns: dict[str, Any] = {"_w": wrap}
        counter = iter(names)
        it = iter(self.outputs)

        def leaf() -> str:
            kind, what = next(it)
            if kind == "v":
                return f"_w({next(counter)})"
            if kind == "arg":
                return f"L[{what}]"
            name = f"k{len(ns)}"
            ns[name] = what
            return name

        def expr(treedef: Any) -> str:
            if treedef is None:
                return leaf()
            kind, children = treedef
            if children.__class__ is int:
                items = [leaf() for _ in range(children)]
            elif kind is dict:
                parts = []
                for key, child in children:
                    name = f"k{len(ns)}"
                    ns[name] = key
                    parts.append(f"{name}: {expr(child)}")
                return "{" + ", ".join(parts) + "}"
            else:
                items = [expr(c) for c in children]
            if kind is list:
                return "[" + ", ".join(items) + "]"
            body = "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
            if kind is tuple:
                return body
            name = f"k{len(ns)}"
            ns[name] = kind
            return f"{name}(*{body})"  # a namedtuple

        return expr(self.out_treedef), ns

    def raw_outputs(self, out: tuple, leaves: list) -> list:
        results = []
        k = 0
        for kind, what in self.outputs:
            if kind == "v":
                results.append(out[k])
                k += 1
            else:
                x = leaves[what] if kind == "arg" else what
                results.append(x._value if isinstance(x, Tensor) else x)
        return results

    # ---- under tapes and accumulators -----------------------------------------------------------
    def pure_arguments(self, leaves: list) -> list:
        """The pure program's inputs for a call with these argument leaves: the unique tensor
        arguments (as plain tensors), then the Variables it loads (read now)."""
        inputs = []
        for i in self.unique_inputs:
            x = leaves[self.param_leaves[i]]
            if isinstance(x, Tensor) and x.__class__ is not Tensor:
                plain = Tensor.__new__(Tensor)
                plain._value, plain._key = x._value, key_of(x)
                x = plain
            inputs.append(x)
        for line in self.lines:
            if line.__class__ is Load:
                inputs.append(self.slots[line.var].var.read_value())  # tapes watch it, accumulators seed it
        return inputs

    def call_taped(self, leaves: list, stack: tuple) -> Any:
        if self.changes_state or self.custom:
            return EAGER
        for t in self.captured:  # (a closed-over tensor the tape watches: its gradient exists)
            k = t._key
            if k is not None:
                for recorder in stack:
                    if recorder.tracks(k):
                        return EAGER
        inputs = self.pure_arguments(leaves)
        vals = [x._value if isinstance(x, Tensor) else x for x in inputs]
        n = len(self.value_names)
        if len(stack) > 1 or n == 0:
            # Several recorders (one may record the backward pass: higher order): the ops are
            # recorded one by one, exactly as eagerly, once the generated code has checked the guards.
            if self.guarded and self.pure_forward(*vals) is RETRACE:
                return RETRACE
            values = replay(self, inputs)
            return self._assemble(values, leaves, wrap_values=False)
        if self._taped is None:  # traced on this call's values: its guards must hold for them first
            if self.guarded and self.pure_forward(*vals) is RETRACE:
                return RETRACE
            self._taped = _Taped(self, vals)
        taped = self._taped
        out = taped.forward(*vals)
        if out is RETRACE:
            return RETRACE
        ys, residuals = out[:n], out[n:]
        ts = tuple([wrap(y) for y in ys])
        prim = _call_primitive(self, taped, residuals, vals)
        args = tuple([inputs[j] for j in taped.slot_inputs])
        slot_vals = [vals[j] for j in taped.slot_inputs]
        result = ts if n > 1 else ts[0]
        for recorder in stack:
            recorder.record(prim, args, slot_vals, {}, result)
        outs = list(ts)
        for k, j in self.passed_through:  # the input itself, as eagerly (the record's output gets nothing)
            if isinstance(inputs[j], Tensor):  # (a NumPy argument returned: the Tensor ``ts`` holds)
                outs[k] = inputs[j]
        return self._assemble(outs, leaves, wrap_values=False)

    def _assemble(self, values: list, leaves: list, wrap_values: bool) -> Any:
        results = []
        k = 0
        for kind, what in self.outputs:
            if kind == "v":
                results.append(wrap(values[k]) if wrap_values else values[k])
                k += 1
            elif kind == "arg":
                results.append(leaves[what])
            else:
                results.append(what)
        return unflatten(self.out_treedef, results)

    @property
    def source(self) -> str:
        """The generated forward (``def forward``), as text: what users read (printed on first use)."""
        if self._source is None:
            self._source = self._generate()[2]["text"]()
        return self._source

    @property
    def fn(self) -> Any:
        """The generated forward, returning the output values (compiled on first use)."""
        if self._fn is None:
            self._fn = compile_source(self.source, self._generate()[1], "forward")
        return self._fn

    def pure_forward(self, *vals: Any) -> Any:
        """The generated forward taking Variable values as parameters (no Variable objects)."""
        if self._pure is None:
            lines = [x for x in self.lines if x.__class__ is not Load]
            source, ns, _ = generate(lines, self.pure_inputs(), [], {}, self.value_names, self.values, title="forward")
            self._pure = compile_source(source, ns, "forward")
        return self._pure(*vals)

    def vjp_source(self) -> str:
        """The generated code a call under a GradientTape runs: the forward that also returns what
        the backward reads (residuals), and the backward (per use of each input) from the residuals
        and the outputs' cotangents ``g0, g1, ...``."""
        if self._taped is None:
            if self.example is None:
                raise ValueError("vjp_source() is for a ConcreteFunction from get_concrete_function(*args): "
                                 "it traces the backward pass on those arguments")
            if self.guarded and self.pure_forward(*self.example) is RETRACE:
                raise ValueError("the arguments given to get_concrete_function take another path through this "
                                 "program's guards: get the concrete function again with the arguments to show")
            self._taped = _Taped(self, self.example)
        return "\n".join(self._taped.sources)

    def jvp_function(self) -> Any:
        """A tg.function ``(*inputs, *tangents) -> the outputs' tangents`` of the replayed program."""
        if self._jvp_fn is None:
            from tapegrad._function import Function

            self._jvp_fn = Function(_JvpOfReplay(self), name="jvp")
        return self._jvp_fn


def _store(pending: dict, variables: list) -> None:
    """Write Variables' new values (as the generated code does: at an effect and at the end)."""
    for j, value in pending.items():
        var = variables[j]
        var._value = value
        var._snapshot = None


FORGET_BYTES = 1024  # trace values this large are replaced by stand-ins once the code exists
_ZEROS = bytes(64)  # the one (read-only) element of every stand-in: zero bits of any numeric dtype
_NUMBERS = "biufcmM"  # the dtype kinds a stand-in of zero bits can be (not objects, strings, records)
ndarray = np.ndarray


def forget_values(lines: list, values: dict) -> None:
    """Let the trace's arrays go once the program is traced: a tg.function otherwise holds every
    value of its first call (inputs included) for as long as it lives.

    Its constants stay (lines hold them; derivatives are traced on the inputs of the call that
    needs them). Every numeric NumPy array of at least FORGET_BYTES becomes a read-only stand-in of one
    element (zero) broadcast to its shape and dtype: what planning and code generation read of a
    traced value (class, shape, dtype, size, and which values are the same object) is unchanged, so
    the code generated later is the text it would have been."""
    stand_ins: dict[int, Any] = {}  # id of a large array -> its stand-in
    for name, v in values.items():
        if v.__class__ is ndarray and v.nbytes >= FORGET_BYTES and v.dtype.kind in _NUMBERS:
            s = stand_ins.get(id(v))
            if s is None:  # (np.broadcast_to makes the same array, in Python: 6x slower)
                s = stand_ins[id(v)] = ndarray(v.shape, v.dtype, _ZEROS, 0, (0,) * v.ndim)
            values[name] = s
    if not stand_ins:  # (every line's value is one of ``values``: none is large)
        return
    get = stand_ins.get
    for line in lines:
        kind = line.__class__
        if kind is Op:
            v = line.value
            line.value = tuple([get(id(x), x) for x in v]) if v.__class__ is tuple else get(id(v), v)
        elif kind is Assign:
            line.value = get(id(line.value), line.value)


def replay(c: ConcreteFunction, inputs: list, uses: dict | None = None) -> list:
    """Run the program again with tapegrad ops on ``inputs`` (Tensors): recorders see every op.

    Guards are read again (a tracer turns them into its own guards); they hold, since a replay only
    runs on inputs the program's own guards accepted. ``uses`` maps (line, argument position) to
    the tensor that use of an input reads instead (one per use: see ``_Taped``).
    """
    env = dict(zip(c.pure_inputs(), inputs))
    loads_seen: dict[int, str] = {}
    for index, line in enumerate(c.lines):
        kind = line.__class__
        if kind is Op:
            args = [env[a] if a.__class__ is str else (wrap(a.value) if a.tensor else a.value) for a in line.args]
            if uses is not None:
                for pos in range(len(args)):
                    use = uses.get((index, pos))
                    if use is not None:
                        args[pos] = use
            result = line.prim(*args, **line.params)
            if line.out.__class__ is tuple:
                env.update(zip(line.out, result))
            else:
                env[line.out] = result
        elif kind is Load:
            loads_seen[line.var] = line.out
        elif kind is Guard:
            t = env[line.name]
            if line.what == "bool":
                bool(t)
            elif line.what in ("int", "index"):
                int(t)
            else:
                t.numpy()
    return [env[name] for name in c.value_names]


class _JvpOfReplay:
    """``(*inputs, *tangents) -> the outputs' tangents`` (None tangents: none given)."""

    def __init__(self, c: ConcreteFunction) -> None:
        self.c = c
        self.__name__ = "jvp"

    def __call__(self, *a: Any) -> Any:
        from tapegrad.forward import ForwardAccumulator

        n = len(a) // 2
        xs, ts = list(a[:n]), a[n:]
        pairs = [(x, t) for x, t in zip(xs, ts) if t is not None]
        with ForwardAccumulator([p for p, _ in pairs], [t for _, t in pairs]) as acc:
            outs = replay(self.c, xs)
        return tuple(acc.jvp(y) for y in outs)


class _Taped:
    """Generated code for a call under one recorder, as ONE record of the whole call (all outputs):
    the forward returning the outputs and what the backward reads (residuals), and per set of
    outputs that receive cotangents, the backward from the residuals and those cotangents.

    The record's arguments are the uses of the inputs (one per op argument reading an input, in
    the order eager's reverse walk adds their cotangents: later ops first, then by position), so
    the walk that reads the record adds the same contributions in the same order as eagerly.
    """

    def __init__(self, c: ConcreteFunction, vals: list) -> None:
        """``vals``: the values of the program's inputs on a call its guards accept (traced on)."""
        self.c = c
        inputs = self.inputs = c.pure_inputs()
        position = {name: j for j, name in enumerate(inputs)}
        uses = []
        for index, line in enumerate(c.lines):
            if line.__class__ is Op:
                for pos, a in enumerate(line.args):
                    if a.__class__ is str and a in position:
                        uses.append((index, pos, position[a]))
        uses.sort(key=lambda u: (-u[0], u[1]))
        self.slot_inputs = [j for _, _, j in uses]
        self.use_positions = [(index, pos) for index, pos, _ in uses]
        self._backward: dict[tuple, Any] = {}
        self._names_end: int | None = None  # the first trace's value count (later traces name past it)
        m = len(c.value_names)
        tracer, grads, y_names, _ = self._trace((True,) * m, vals)
        self._names_end = tracer._count
        depends = {f"g{k}" for k in range(m)}
        forward, backward = _split(tracer.lines, depends)
        self.residuals = sorted(
            {r for line in backward for r in reads(line)} - depends, key=lambda s: (len(s), s)
        )
        self.residuals += [r for r in grads if r.__class__ is str and r not in depends and r not in self.residuals]
        source, ns, _ = generate(
            forward, inputs, [], {}, y_names, tracer.values, taped_residuals=self.residuals, title="forward"
        )
        self.forward = compile_source(source, ns, "forward")
        self.sources = [source]
        self._store((True,) * m, backward, grads, tracer.values)

    def _trace(self, seeded: tuple, vals: list) -> tuple:
        """Record the replayed program on ``vals`` and its reverse walk, seeding the outputs marked in
        ``seeded``."""
        c = self.c
        tracer = Tracer()
        xs = []
        for name, v in zip(self.inputs, vals):
            t = wrap(v)
            tracer.name_input(t, name)
            xs.append(t)
        slots, slot_tensors = [], {}
        for (index, pos), j in zip(self.use_positions, self.slot_inputs):
            t = wrap(xs[j]._value)
            tracer.name_input(t, self.inputs[j])
            slot_tensors[(index, pos)] = t
            slots.append(t)
        from tapegrad.tape import GradientTape

        with _context.recorders_set_to((tracer,)):
            with GradientTape() as tape:
                tape.watch(slots)
                ys = replay(c, xs, slot_tensors)
            replayed = len(tracer.lines)
            if self._names_end is not None:  # (the walk's values never take a name of the first trace's)
                tracer._count = max(tracer._count, self._names_end)
            targets, seeds = [], []
            for k, y in enumerate(ys):
                if seeded[k]:
                    v = y._value
                    g = wrap(np.ones_like(v) if isinstance(v, np.ndarray) else v.dtype.type(1))
                    tracer.name_input(g, f"g{k}")
                    targets.append(y)
                    seeds.append(g)
            grads = _walked(tape, targets, seeds, slots)
        refs = []
        for gi in grads:
            name = tracer.names.get(gi._key) if gi is not None and gi._key is not None else None
            refs.append(None if gi is None else name if name is not None else ("c", gi._value))
        y_names = [tracer.names.get(y._key) for y in ys]
        return tracer, refs, y_names, replayed

    def _store(self, seeded: tuple, backward: list, grads: list, values: dict) -> None:
        outs, consts = [], {}
        for j, r in enumerate(grads):
            if r is None or r.__class__ is str:
                outs.append(r)
            else:
                consts[j] = r[1]
                outs.append(None)
        params = self.residuals + [f"g{k}" for k, s in enumerate(seeded) if s]
        made = {o for line in backward for o in (line.out if line.out.__class__ is tuple else (line.out,))}
        missing = {r for line in backward for r in reads(line)} - set(params) - made
        missing.update(o for o in outs if o is not None and o not in made and o not in params)
        if missing or any(line.__class__ is not Op for line in backward):  # (then by recording)
            self._backward[seeded] = None
            return
        source, ns, _ = generate(backward, params, [], {}, outs, values, title="backward")
        self.sources.append(source)
        fn = compile_source(source, ns, "backward")
        if consts:

            def with_constants(*a: Any) -> tuple:
                got = list(fn(*a))
                for j, v in consts.items():
                    got[j] = v
                return tuple(got)

            self._backward[seeded] = with_constants
        else:
            self._backward[seeded] = fn

    def backward(self, residuals: tuple, gs: tuple, vals: list) -> Any:
        """Cotangents per use of an input, from the residuals and the outputs' cotangents (None:
        that output received none); None when this set of outputs has no generated backward.
        ``vals``: the call's input values (a new set of outputs is traced on them)."""
        seeded = tuple(g is not None for g in gs)
        fn = self._backward.get(seeded, _MISSING)
        if fn is _MISSING:
            # The walk of fewer outputs differs from the first trace's: all of it is the backward code
            # (what it reads of the forward must be among the first trace's residuals: else None)
            tracer, grads, _, replayed = self._trace(seeded, vals)
            self._store(seeded, tracer.lines[replayed:], grads, tracer.values)
            fn = self._backward[seeded]
        if fn is None:
            return None
        return fn(*residuals, *[g for g in gs if g is not None])


_MISSING = object()


def _split(lines: list, depends: set) -> tuple[list, list]:
    """(lines that do not depend on the names in ``depends``, lines that do); extends ``depends``."""
    forward, backward = [], []
    for line in lines:
        if line.__class__ is Op and any(r in depends for r in reads(line)):
            depends.update(line.out if line.out.__class__ is tuple else (line.out,))
            backward.append(line)
        else:
            forward.append(line)
    return forward, backward


def _no_impl(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("a compiled tg.function call is a record, not an op to run again")


def _call_primitive(c: ConcreteFunction, taped: _Taped, residuals: Any, vals: list) -> Primitive:
    """The primitive standing for one compiled call under a single recorder (one record for all
    its outputs): its arguments are the uses of the inputs (``_Taped``), its joint VJP the
    generated backward code, its joint JVP a tg.function of the replayed program's JVP. ``vals``:
    the call's input values (held as long as the record: its tape holds them too)."""
    prim = Primitive(f"function:{c.owner.__name__}", _no_impl)
    several = len(c.value_names) > 1
    slot_inputs = taped.slot_inputs
    first_slot: dict[int, int] = {}
    for i, j in enumerate(slot_inputs):
        first_slot.setdefault(j, i)

    def joint_vjp(g: Any, ans: Any, needs: Any, *inputs: Any) -> Any:
        gs = g if several else (g,)
        if state.recorders is RAW and not any(isinstance(x, Tensor) for x in gs):
            grads = taped.backward(residuals, gs, vals)
            if grads is not None:
                return grads
        return _vjp_of_uses(c, taped, inputs, gs, vals)  # the backward pass is recorded: by recording

    def joint_jvp(tangents: list, ans: Any, *inputs: Any) -> Any:
        xs: list = [None] * len(vals)
        ts: list = [None] * len(vals)
        for j, i in first_slot.items():
            xs[j], ts[j] = inputs[i], tangents[i]
        raw = state.recorders is RAW
        xs = [x if x is not None else v if raw else wrap(v) for x, v in zip(xs, vals)]
        fn = c.jvp_function()
        if raw:
            out = fn.call_raw([*xs, *ts])
        else:
            out = flatten(fn(*xs, *ts))[0]
        return tuple(out) if several else out[0]

    prim.joint_vjp = joint_vjp
    prim.joint_jvp = joint_jvp
    return prim


def _vjp_of_uses(c: ConcreteFunction, taped: _Taped, uses_in: tuple, gs: tuple, vals: list) -> list:
    """The cotangent per use of the inputs, by recording (for a backward pass that a tape records);
    an input no op reads is its value in the call (``vals``)."""
    from tapegrad.tape import GradientTape
    from tapegrad.transforms import _identity

    inputs: list = [None] * len(vals)
    for x, j in zip(uses_in, taped.slot_inputs):
        if inputs[j] is None:
            inputs[j] = x
    inputs = [x if x is not None else wrap(v) for x, v in zip(inputs, vals)]
    slots = [_identity(x) if isinstance(x, Tensor) else wrap(x) for x in uses_in]
    slot_tensors = dict(zip(taped.use_positions, slots))
    with GradientTape() as tape:
        tape.watch(slots)
        ys = replay(c, inputs, slot_tensors)
    targets = [y for y, g in zip(ys, gs) if g is not None]
    seeds = [g if isinstance(g, Tensor) else wrap(g) for g in gs if g is not None]
    return _walked(tape, targets, seeds, slots)


def _walked(tape: Any, targets: list, seeds: list, slots: list) -> list:
    """The reverse walk's own cotangent of each slot, seeded with ``seeds`` at ``targets``: what a
    walk reading the call's record must receive (the walk's internal convention, which for complex
    values differs from ``gradient()``'s by a conjugation at both ends)."""
    from tapegrad.backward import walk

    grads: dict = {}
    for y, g in zip(targets, seeds):
        k = y._key
        if k is not None:
            grads[k] = g if k not in grads else grads[k] + g
    if not grads or not slots:
        return [None] * len(slots)
    records = list(tape.records)
    found = walk(records, len(records), grads, {s._key for s in slots}, raw=False)
    return [found.get(s._key) for s in slots]


__all__ = ["ConcreteFunction", "EAGER", "forget_values", "replay", "Variable"]
