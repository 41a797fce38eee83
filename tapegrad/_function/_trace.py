"""Tracing: a recorder that writes down every primitive call of one run of a function.

The program it builds is data: ``Op`` lines (a primitive applied to named values and constants),
``Load``/``Assign`` lines for Variables, ``Guard`` lines for what Python read from a value, and
``Effect`` lines for calls that must run again at call time (an optimizer's update).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tapegrad._tensor import Tensor, Variable, key_of, new_key
from tapegrad.custom import _ValueOnce


class Const:
    """A value fixed at trace time; code generation puts it in the namespace, never in the source."""

    __slots__ = ("value", "tensor")

    def __init__(self, value: Any, tensor: bool = False) -> None:
        self.value = value
        self.tensor = tensor  # it was a Tensor in the trace (a replay passes a Tensor again)


class Op:
    """``out = prim.impl(*args, **params)``; ``out`` is a tuple of names for an op with several outputs."""

    __slots__ = ("prim", "args", "params", "out", "value")

    def __init__(self, prim: Any, args: list, params: dict, out: str, value: Any) -> None:
        self.prim, self.args, self.params, self.out, self.value = prim, args, params, out, value


class Load:
    """``out = <variable>._value``: a Variable read at call time."""

    __slots__ = ("var", "out", "value")

    def __init__(self, var: int, out: str, value: Any) -> None:
        self.var, self.out, self.value = var, out, value


class Assign:
    """The new local value of a Variable after ``assign``/``assign_add``/``assign_sub``."""

    __slots__ = ("var", "method", "operand", "current", "out", "value")

    def __init__(self, var: int, method: str, operand: Any, current: str | None, out: str, value: Any) -> None:
        self.var, self.method, self.operand, self.current, self.out = var, method, operand, current, out
        self.value = value


class Guard:
    """What Python read from a traced value (``bool``, ``int``, ``float``, ``numpy``): checked at call time."""

    __slots__ = ("name", "what", "expected")

    def __init__(self, name: str, what: str, expected: Any) -> None:
        self.name, self.what, self.expected = name, what, expected


class Effect:
    """A call run again at call time with the traced values (``Optimizer.apply_gradients``)."""

    __slots__ = ("fn", "args")

    def __init__(self, fn: Any, args: list) -> None:
        self.fn, self.args = fn, args


def guard_value(value: Any, what: str) -> Any:
    """What a guard compares: truth for ``bool``, the integer for ``int``/``index``, the exact bits
    (with shape and dtype) otherwise."""
    if what == "bool":
        return bool(np.asarray(value).reshape(())[()])
    if what in ("int", "index"):
        return int(np.asarray(value).reshape(())[()])
    a = np.asarray(value)
    return (a.shape, a.dtype.str, a.tobytes())


class VarSlot:
    """A Variable the program touches: where it comes from (an argument or the namespace), its
    current local value, and whether the program changes it."""

    __slots__ = ("var", "arg", "current", "dirty", "first")

    def __init__(self, var: Variable, arg: int | None) -> None:
        self.var, self.arg, self.current, self.dirty, self.first = var, arg, None, False, None


class Tracer:
    """The tracing recorder: sees every primitive call (constants included), Variable reads and
    assignments, and value reads. ``record`` notes an op only when one of its arguments is traced;
    an op on constants alone is folded (its output, when used, is a constant)."""

    is_tape = False
    is_tracer = True

    def __init__(self) -> None:
        self.names: dict[int, str] = {}  # tensor key -> value name
        self.lines: list = []
        self.values: dict[str, Any] = {}  # name -> the value it had in the trace
        self.slots: dict[int, VarSlot] = {}  # id(variable) -> slot
        self.slot_order: list[VarSlot] = []
        self.unsupported: str | None = None
        self._count = 0
        self.captured: dict[int, Tensor] = {}  # id -> a tensor the program reads as a constant (a closure)
        # key -> (name, stand-in, passed): the function's tensor arguments. The traced function receives
        # a stand-in sharing the passed tensor's value and key (recorders see the argument, and a tape
        # inside rebuilds it by key), so a closure over the passed tensor itself is told apart: a
        # constant, as it is for later calls passing other tensors
        self.arguments: dict[int, tuple[str, Tensor, Any]] = {}
        self.closed_over: set = set()  # argument keys the program read as the passed tensor itself
        self.rebuilt: set = set()  # argument keys read through another tensor of that key (a tape's)
        self.snapshots: dict[int, str] = {}  # id of a passed tensor that a Variable read returned -> its load
        self._by_id: dict[int, str] = {}  # id of a traced value's array -> its name (see _name_of_array)
        self._indexed = 0
        self.created: list = []  # Variables created while tracing (a later call would create new ones)
        self.custom = False  # the program holds a custom_gradient call: calls under recorders run eagerly

    def fresh(self, value: Any) -> str:
        name = f"v{self._count}"
        self._count += 1
        self.values[name] = value
        return name

    def name_input(self, tensor: Tensor, name: str) -> None:
        self.names[key_of(tensor)] = name
        self.values[name] = tensor._value
        if name[:1] == "v" and name[1:].isdigit():  # (an outer program's value: fresh names go past it)
            self._count = max(self._count, int(name[1:]) + 1)

    def name_argument(self, tensor: Tensor, passed: Any, name: str) -> None:
        """Name the stand-in for a tensor argument (see ``arguments``)."""
        self.arguments[key_of(tensor)] = (name, tensor, passed)
        self.values[name] = tensor._value

    def name_of(self, a: Tensor) -> str | None:
        """The traced name of a (non-Variable) tensor, or None: it is a constant of the program."""
        k = a._key
        if k is None:
            return None
        name = self.names.get(k)
        if name is None and self.arguments:
            hit = self.arguments.get(k)
            if hit is not None and a is not hit[1]:
                if a is hit[2]:  # the passed tensor itself: a closure, or a Variable's read
                    self.closed_over.add(k)
                    return self.snapshots.get(id(a))
                self.rebuilt.add(k)
            if hit is not None:
                return hit[0]
        return name

    def ambiguous(self) -> bool:
        """Whether a tensor the function closes over was also its argument, and a tape inside rebuilt
        it by key: the program cannot tell which of the two such a read stands for."""
        return bool(self.closed_over & self.rebuilt)

    def slot(self, var: Variable, arg: int | None = None) -> VarSlot:
        s = self.slots.get(id(var))
        if s is None:
            s = self.slots[id(var)] = VarSlot(var, arg)
            self.slot_order.append(s)
        return s

    def ref(self, a: Any, v: Any) -> Any:
        """A traced name for ``a`` (a Tensor the trace computed), else a Const of the value ``v``."""
        if isinstance(a, Tensor):
            if isinstance(a, Variable):
                return self.current(a)
            name = self.name_of(a)
            if name is not None:
                return name
            self.captured[id(a)] = a
            return Const(v, True)
        return Const(v)

    def current(self, var: Variable) -> str:
        """The local name holding a Variable's value now (loading it at the first read)."""
        s = self.slot(var)
        if s.current is None:
            s.current = self.fresh(var._value)
            s.first = s.current
            self.lines.append(Load(self.slot_order.index(s), s.current, var._value))
        return s.current

    # ---- the recorder protocol -------------------------------------------------------------
    def record(self, prim: Any, args: tuple, vals: Any, params: dict, out: Tensor) -> None:
        names = self.names
        refs = []
        traced = False
        i = 0  # (vals[i] is the value of args[i]: no zip, no pairs)
        for a in args:
            if a.__class__ is Tensor:  # (ref, inlined: the common case)
                name = names.get(a._key)
                if name is None and self.arguments:  # (arguments are known apart from computed values)
                    name = self.name_of(a)
                if name is not None:
                    traced = True
                    refs.append(name)
                else:
                    self.captured[id(a)] = a
                    refs.append(Const(vals[i], True))
            else:
                r = self.ref(a, vals[i])
                if r.__class__ is str:
                    traced = True
                refs.append(r)
            i += 1
        if params:
            self._read_params(prim, params)
            params = dict(params)
        else:
            params = {}
        if not traced:
            return
        if out.__class__ is tuple:  # an op with several outputs: one name each
            if prim.impl.__class__ is _ValueOnce:  # a custom_gradient (or recompute_grad) call
                self._custom_call(prim, out)
                return
            outs = []
            for o in out:
                if o._key is None:
                    o._key = new_key()
                outs.append(self.fresh(o._value))
                names[o._key] = outs[-1]
            self.lines.append(Op(prim, refs, params, tuple(outs), tuple(o._value for o in out)))
            return
        key = out._key
        if key is None:
            key = out._key = new_key()
        value = out._value
        name = f"v{self._count}"
        self._count += 1
        self.values[name] = value
        names[key] = name
        self.lines.append(Op(prim, refs, params, name, value))

    def _custom_call(self, prim: Any, out: tuple) -> None:
        """A custom_gradient call is one op whose impl hands out its values once (its forward ran
        under the tracer as ops of its own): its outputs are the traced values of that forward, and
        a call under a recorder runs eagerly (the program does not hold the custom gradient).
        recompute_grad runs its forward unseen: the function then runs eagerly."""
        for o in out:
            name = self._name_of_array(o._value)
            if name is None:
                self.unsupported = f"{prim.name} computes its values where the trace cannot see them"
                return
            self.names[key_of(o)] = name
        self.custom = True

    def guard_unread(self, returned: set) -> None:
        """Guard each integer or boolean value (of at most UNREAD_GUARD elements) that no line reads
        and the function does not return: an op given a tensor as a count, an axis or a shape reads
        its value in Python (``tg.repeat(x, n)``, ``tg.reduce_sum(x, axis=a)``) and makes a
        parameter or a constant of it, unseen by the trace. Such a value is then exact (a new value
        traces again); a value that was really unused costs a check."""
        kinds = _INTEGER_KINDS
        for v in self.values.values():  # (most programs have no integer values: nothing to do)
            dtype = getattr(v, "dtype", None)
            if dtype is not None and dtype.kind in kinds:
                break
        else:
            return
        read = set(returned)
        add = read.add
        ops = []
        for line in self.lines:
            if line.__class__ is Op:
                ops.append(line)
                for a in line.args:
                    if a.__class__ is str:
                        add(a)
            else:
                read.update(reads(line))
        unread = [name for name, _, _ in self.arguments.values() if name not in read]
        for line in ops:
            out = line.out
            if out.__class__ is str:
                if out not in read:
                    unread.append(out)
            elif not any(o in read for o in out):  # (an unused output of a used op is not a count)
                unread.extend(out)
        values = self.values
        for name in unread:
            v = values.get(name)
            kind = getattr(getattr(v, "dtype", None), "kind", None)
            if kind is not None and kind in kinds and np.size(v) <= UNREAD_GUARD:
                self.lines.append(Guard(name, "numpy", guard_value(v, "numpy")))

    def on_variable_created(self, var: Variable) -> None:
        self.created.append(var)

    def _read_params(self, prim: Any, params: dict) -> None:
        """A traced tensor passed as a parameter cannot be followed (the function runs eagerly); a
        parameter that is a traced value's own array (an op that read ``mask._value`` to make its
        index: boolean_mask) is that value's bits at trace time: a guard, as a ``.numpy()`` read."""
        for v in params.values():
            for x in v if isinstance(v, (tuple, list)) else (v,):
                if x.__class__ is np.ndarray:
                    name = self._name_of_array(x)
                    if name is not None:
                        self.lines.append(Guard(name, "numpy", guard_value(x, "numpy")))
                elif isinstance(x, Tensor) and not isinstance(x, Variable) and self.name_of(x) is not None:
                    self.unsupported = f"a traced tensor is passed to {prim.name} as a keyword parameter"

    def _name_of_array(self, array: Any) -> str | None:
        """The traced value whose array (or NumPy scalar) is ``array``, the same object, if any."""
        by_id = self._by_id
        for k in range(self._indexed, self._count):  # (names v0, v1, ... are made in order)
            name = f"v{k}"
            value = self.values.get(name)
            if value is not None:
                by_id[id(value)] = name
        self._indexed = self._count
        for name, t, _ in self.arguments.values():
            by_id.setdefault(id(t._value), name)
        return by_id.get(id(array))

    def on_variable_read(self, var: Variable, snap: Tensor) -> None:
        k = key_of(snap)
        if self.arguments and k in self.arguments:  # the argument is this snapshot (f(w.read_value())):
            self.snapshots[id(snap)] = self.current(var)  # the argument's stand-in is told apart
            self.closed_over.add(k)
            return
        self.names[k] = self.current(var)

    def on_export(self, tensor: Tensor) -> None:
        pass

    def on_nondeterministic(self, what: str) -> None:
        self.unsupported = what

    def on_read(self, tensor: Tensor, what: str) -> None:
        if isinstance(tensor, Variable):
            name: str | None = self.current(tensor)
        else:
            name = self.name_of(tensor)
        if name is not None:
            self.lines.append(Guard(name, what, guard_value(tensor._value, what)))

    def on_assign(self, var: Variable, method: str, operand: Any) -> None:
        s = self.slot(var)
        current = self.current(var) if method != "assign" else s.current
        if isinstance(operand, Tensor):
            ref = self.ref(operand, operand._value)
        else:
            ref = Const(operand)
        if method == "assign":
            value = var._checked(operand, method)
        elif method == "assign_add":
            value = var._value + var._checked(operand, method)
        else:
            value = var._value - var._checked(operand, method)
        name = self.fresh(value)
        self.lines.append(Assign(self.slot_order.index(s), method, ref, current, name, value))
        s.current = name
        s.dirty = True

    def on_effect(self, fn: Any, args: list) -> None:
        """``fn(*args)`` runs again at call time; ``args`` are traced values, Variables or constants."""
        refs = []
        for a in args:
            if isinstance(a, Variable):
                refs.append(("var", self.slot_order.index(self.slot(a))))
            elif isinstance(a, Tensor):
                refs.append(self.ref(a, a._value))
            else:
                refs.append(Const(a))
        self.lines.append(Effect(fn, refs))
        for s in self.slot_order:  # the effect may change any Variable: read them again after it
            s.current = None


UNREAD_GUARD = 64  # integer values no line reads, up to this many elements, are guarded (guard_unread)
_INTEGER_KINDS = "iub"


def reads(line: Any) -> list[str]:
    """The names a line reads."""
    kind = line.__class__
    if kind is Op or kind is Effect:
        return [a for a in line.args if a.__class__ is str]
    if kind is Guard:
        return [line.name]
    if kind is Assign:
        out = [line.operand] if line.operand.__class__ is str else []
        if line.current is not None and line.method != "assign":
            out.append(line.current)
        return out
    return []
