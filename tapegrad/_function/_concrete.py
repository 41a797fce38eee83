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
from tapegrad._function._codegen import RETRACE, compile_source, generate
from tapegrad._function._trace import Assign, Effect, Guard, Load, Op, Tracer
from tapegrad._primitive import PerArgument, Primitive
from tapegrad._structure import unflatten
from tapegrad._tensor import Tensor, Variable, key_of, wrap

EAGER = object()  # call_taped's answer when the program cannot run under recorders (it changes Variables)


class ConcreteFunction:
    """A traced program for one input signature (and one path through its guards)."""

    def __init__(self, owner: Any, tracer: Tracer, params: list[str], param_leaves: list[int],
                 arg_slots: dict, outputs: list, out_treedef: Any, unique_inputs: list[int]) -> None:
        self.owner = owner
        self.lines = tracer.lines
        self.values = tracer.values
        self.slots = tracer.slot_order
        self.params = params  # the generated function's parameters, one per tensor-like leaf
        self.param_leaves = param_leaves  # which argument leaves they come from
        self.outputs = outputs  # per flat output: ("v", name) | ("arg", leaf index) | ("c", object)
        self.out_treedef = out_treedef
        self.unique_inputs = unique_inputs  # param positions that are not aliases of an earlier one
        self.changes_state = any(x.__class__ in (Assign, Effect) for x in self.lines)
        names = [o[1] for o in outputs if o[0] == "v"]
        self.value_names = names
        self.source, namespace, facts = generate(self.lines, params, self.slots, arg_slots, names, self.values,
                                                 title="forward", result=self._result_expression)
        self.guard_after_effect = facts["guard_after_effect"]
        forward, call = self.source.split("\n\n\ndef call(")
        self.source = forward  # what users read
        self.call = compile_source("def call(" + call, namespace, "call")
        self._forward_text, self._namespace = forward, namespace
        self._fn: Any = None
        self.guarded = any(x.__class__ is Guard for x in self.lines)
        self._pure: Any = None
        self._taped: Any = None
        self._jvp_fns: dict[int, Any] = {}

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
    def call_taped(self, leaves: list, stack: tuple) -> Any:
        if self.changes_state:
            return EAGER
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
        vals = [x._value if isinstance(x, Tensor) else x for x in inputs]
        n = len(self.value_names)
        if n != 1 or len(stack) > 1:
            # Several outputs (their records would not share intermediate cotangents as eager does),
            # or several recorders (a tape may record the backward pass: higher order): the ops are
            # recorded one by one, exactly as eagerly, once the generated code has checked the guards.
            if self.guarded and self.pure_forward(*vals) is RETRACE:
                return RETRACE
            values = replay(self, inputs)
            return self._assemble(values, leaves, wrap_values=False)
        taped = self.taped()
        out = taped.forward(*vals)
        if out is RETRACE:
            return RETRACE
        y, residuals = out[0], out[1:]
        t = wrap(y)
        prim = _call_primitive(self, taped, residuals)
        args = tuple([inputs[j] for j in taped.slot_inputs])
        slot_vals = [vals[j] for j in taped.slot_inputs]
        for recorder in stack:
            recorder.record(prim, args, slot_vals, {}, t)
        return self._assemble([t], leaves, wrap_values=False)

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
    def fn(self) -> Any:
        """The generated forward, returning the output values (compiled on first use)."""
        if self._fn is None:
            self._fn = compile_source(self._forward_text, self._namespace, "forward")
        return self._fn

    def pure_forward(self, *vals: Any) -> Any:
        """The generated forward taking Variable values as parameters (no Variable objects)."""
        if self._pure is None:
            lines = [x for x in self.lines if x.__class__ is not Load]
            source, ns, _ = generate(lines, self.pure_inputs(), [], {}, self.value_names, self.values,
                                     title="forward")
            self._pure = compile_source(source, ns, "forward")
        return self._pure(*vals)

    def taped(self) -> Any:
        if self._taped is None:
            self._taped = _Taped(self)
        return self._taped

    def jvp_function(self, k: int) -> Any:
        fn = self._jvp_fns.get(k)
        if fn is None:
            from tapegrad._function import Function

            fn = self._jvp_fns[k] = Function(_JvpOfReplay(self, k), name="jvp")
        return fn


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
            env[line.out] = line.prim(*args, **line.params)
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
    """``(*inputs, *tangents) -> output tangent`` of output ``k`` (None tangents: none given)."""

    def __init__(self, c: ConcreteFunction, k: int) -> None:
        self.c, self.k = c, k
        self.__name__ = "jvp"

    def __call__(self, *a: Any) -> Any:
        from tapegrad.forward import ForwardAccumulator

        n = len(a) // 2
        xs, ts = list(a[:n]), a[n:]
        pairs = [(x, t) for x, t in zip(xs, ts) if t is not None]
        with ForwardAccumulator([p for p, _ in pairs], [t for _, t in pairs]) as acc:
            outs = replay(self.c, xs)
        return acc.jvp(outs[self.k])


class _Taped:
    """Generated code for a call under recorders: the forward returning the backward's residuals
    (single output), and the backward from residuals and the output cotangent."""

    def __init__(self, c: ConcreteFunction) -> None:
        inputs = c.pure_inputs()
        tracer = Tracer()
        xs = []
        for name in inputs:
            t = wrap(c.values[name])
            tracer.name_input(t, name)
            xs.append(t)
        # One tensor per use of an input, in the order eager's reverse walk adds their cotangents
        # (later ops first, then by argument position): the record lists each use as an argument,
        # so the walk that reads it adds the same contributions in the same order as eagerly.
        position = {name: j for j, name in enumerate(inputs)}
        uses = []
        for index, line in enumerate(c.lines):
            if line.__class__ is Op:
                for pos, a in enumerate(line.args):
                    if a.__class__ is str and a in position:
                        uses.append((index, pos, position[a]))
        uses.sort(key=lambda u: (-u[0], u[1]))
        slot_tensors = {}
        slots = []
        for index, pos, j in uses:
            t = wrap(xs[j]._value)
            tracer.name_input(t, inputs[j])
            slot_tensors[(index, pos)] = t
            slots.append(t)
        self.slot_inputs = [j for _, _, j in uses]
        self.use_positions = [(index, pos) for index, pos, _ in uses]
        out_value = c.values[c.value_names[0]]
        g = wrap(np.ones_like(out_value) if isinstance(out_value, np.ndarray) else out_value.dtype.type(1))
        tracer.name_input(g, "g")
        from tapegrad.tape import GradientTape

        with _context.recorders_set_to((tracer,)):
            with GradientTape() as tape:
                tape.watch(slots)
                (y,) = replay(c, xs, slot_tensors)
            grads = tape.gradient(y, slots, output_gradients=g) if slots else []
        y_name = tracer.names.get(y._key) if y._key is not None else None
        # split: lines that depend on the cotangent are the backward pass
        depends = {"g"}
        forward, backward = [], []
        for line in tracer.lines:
            reads = _line_reads(line)
            if line.__class__ is Op and any(r in depends for r in reads):
                depends.add(line.out)
                backward.append(line)
            else:
                forward.append(line)
        grad_refs = []
        for gi in grads:
            if gi is None:
                grad_refs.append(None)
            else:
                name = tracer.names.get(gi._key) if gi._key is not None else None
                grad_refs.append(name if name is not None else ("c", gi._value))
        needed_by_backward = sorted({r for line in backward for r in _line_reads(line)} - depends,
                                    key=lambda s: (len(s), s))
        needed_by_backward += [r for r in grad_refs if r.__class__ is str and r not in depends
                               and r not in needed_by_backward]
        residuals = [r for r in needed_by_backward]
        src_f, ns_f, _ = generate(forward, inputs, [], {}, [y_name], tracer.values, taped_residuals=residuals,
                                  title="forward")
        self.forward = compile_source(src_f, ns_f, "forward")
        outs = []
        consts = {}
        for j, r in enumerate(grad_refs):
            if r is None or r.__class__ is str:
                outs.append(r)
            else:
                consts[j] = r[1]
                outs.append(None)
        src_b, ns_b, _ = generate(backward, residuals + ["g"], [], {}, outs, tracer.values, title="backward")
        backward_fn = compile_source(src_b, ns_b, "backward")
        if consts:
            def backward_with_constants(*a: Any) -> tuple:
                got = list(backward_fn(*a))
                for j, v in consts.items():
                    got[j] = v
                return tuple(got)

            self.backward = backward_with_constants
        else:
            self.backward = backward_fn
        self.source = src_f + "\n" + src_b


def _line_reads(line: Any) -> list[str]:
    if line.__class__ is Op:
        return [a for a in line.args if a.__class__ is str]
    if line.__class__ is Guard:
        return [line.name]
    return []


def _no_impl(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("a compiled tg.function call is a record, not an op to run again")


def _call_primitive(c: ConcreteFunction, taped: _Taped, residuals: Any) -> Primitive:
    """The primitive standing for one compiled call under a single recorder: its arguments are the
    uses of the inputs (``_Taped``), its VJP the generated backward code, its JVP a tg.function of
    the replayed program's JVP."""
    prim = Primitive(f"function:{c.owner.__name__}", _no_impl)
    last: list = [None, None]
    slot_inputs = taped.slot_inputs
    first_slot: dict[int, int] = {}
    for i, j in enumerate(slot_inputs):
        first_slot.setdefault(j, i)
    n_inputs = len(c.pure_inputs())

    def vjp(i: int, g: Any, ans: Any, *inputs: Any) -> Any:
        if last[0] is not g:
            if state.recorders is RAW and not isinstance(g, Tensor):
                grads = taped.backward(*residuals, g)
            else:  # the backward pass is recorded (a persistent tape's own context): by recording
                grads = _VjpOfUses(c, taped)(*inputs, g)
            last[0], last[1] = g, grads
        return last[1][i]

    def joint_jvp(tangents: list, ans: Any, *inputs: Any) -> Any:
        xs: list = [None] * n_inputs
        ts: list = [None] * n_inputs
        for j, i in first_slot.items():
            xs[j], ts[j] = inputs[i], tangents[i]
        xs = [x if x is not None else wrap(c.values[name]) for x, name in zip(xs, c.pure_inputs())]
        fn = c.jvp_function(0)
        if state.recorders is RAW:
            return fn.call_raw([*xs, *ts])[0]
        return fn(*xs, *ts)

    prim.vjps = PerArgument(vjp)
    prim.joint_jvp = joint_jvp
    return prim


class _VjpOfUses:
    """The VJP per use of the inputs, by recording (for a backward pass that a tape records)."""

    def __init__(self, c: ConcreteFunction, taped: _Taped) -> None:
        self.c, self.taped = c, taped

    def __call__(self, *a: Any) -> list:
        from tapegrad.tape import GradientTape
        from tapegrad.transforms import _identity

        uses_in, g = a[:-1], a[-1]
        c = self.c
        inputs: list = [None] * len(c.pure_inputs())
        for x, j in zip(uses_in, self.taped.slot_inputs):
            if inputs[j] is None:
                inputs[j] = x
        inputs = [x if x is not None else wrap(c.values[n]) for x, n in zip(inputs, c.pure_inputs())]
        slots = [_identity(x) if isinstance(x, Tensor) else wrap(x) for x in uses_in]
        slot_tensors = {(index, pos): t for (index, pos), t in zip(self.taped.use_positions, slots)}
        with GradientTape() as tape:
            tape.watch(slots)
            (y,) = replay(c, inputs, slot_tensors)
        return tape.gradient(y, slots, output_gradients=g)


__all__ = ["ConcreteFunction", "EAGER", "replay", "Variable"]
