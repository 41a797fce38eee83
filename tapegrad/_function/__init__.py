"""tg.function: record a Python function once, then replay it as generated NumPy code.

    @tg.function
    def f(x1, x2, x3):
        return 3 * (x1**2 + x2 * x3)

    f(a, b, c)                          # first call for this signature: traced (and run eagerly)
    f(a, b, c)                          # next 8 calls: the traced program, line by line, on NumPy values
    f(a, b, c)                          # then: straight-line NumPy code, no Tensor wrapping, no tape
    print(f.get_concrete_function(a, b, c).source)

The trace is a recorder on the recorder stack (``_trace.Tracer``) that sees every primitive call;
``_codegen`` plans the recorded program (simplified, ordered, dead lines dropped) and prints it as
Python. Generating and compiling that code costs what 5-10 calls lose by running the plan line by
line, so it is done at the 9th call after the trace (``_concrete.COMPILE_AFTER``). What Python read
from a traced value (``bool(t)`` in an ``if``, ``float(t)``, ``int(t)``, ``.numpy()``) becomes a
guard: when it fails, the function is traced again for the new path, and a function that keeps
failing its guards runs eagerly (one warning). Under a GradientTape or ForwardAccumulator each output of a compiled call
is one record whose VJP and JVP are generated code too (``_concrete``).

What the code cannot follow runs eagerly: a function that makes tg.Variables at every call (a trace
that makes them is not kept: a layer that builds its weights at the first call is compiled from the
second trace on), a custom_gradient inside under recorders (plain calls run the code), recompute_grad.
"""

from __future__ import annotations

import functools
import gc
import inspect
import struct
import sys
import types
import warnings
from typing import Any, Callable

import numpy as np

from tapegrad import _context
from tapegrad._context import RAW, state
from tapegrad._function._codegen import RETRACE
from tapegrad._function._concrete import EAGER, ConcreteFunction
from tapegrad._function._trace import Tracer
from tapegrad._structure import flatten, unflatten
from tapegrad._tensor import Tensor, Variable, key_of, wrap

__all__ = ["function", "Function", "ConcreteFunction", "FunctionWarning", "print"]


class FunctionWarning(UserWarning):
    """tg.function retraces too often, or runs a function eagerly (it stays correct either way).

    Each is said once per function; silence them as any warning category:

        import warnings
        warnings.simplefilter("ignore", tg.FunctionWarning)
        f = tg.function(lambda x: x * int(x))  # int(x) is a guard: new values trace again
        print([float(f(tg.constant(float(k)))) for k in range(6)])
    """


ndarray = np.ndarray
RETRACE_WARNING = 5  # TensorFlow warns after this many traces of one function
MAX_PATHS = 4  # traces of one signature (paths through the guards) before running eagerly


class Function:
    """A Python function traced once per input signature and replayed as generated code.

    The signature is each argument's shape and dtype (Tensors, NumPy arrays, Variables), which
    Variables (by identity), which arguments are the same object, and the value of every other
    Python argument. See the module docstring.
    """

    def __init__(self, python_function: Callable[..., Any], name: str | None = None) -> None:
        if not callable(python_function):
            raise TypeError(f"tg.function needs a callable, got {type(python_function).__name__}")
        self.python_function = python_function
        self.__name__ = name or getattr(python_function, "__name__", "function")
        self.__doc__ = getattr(python_function, "__doc__", None)
        self.__wrapped__ = python_function
        self._cache: dict = {}  # signature -> [ConcreteFunction, ...] (one per path through the guards)
        self._eager: set = set()  # signatures that run eagerly
        self._retraced: set = set()  # signatures whose trace was not cached (it made Variables, or was ambiguous)
        self._traces = 0
        self._last_spec: Any = None
        self._warned: set[str] = set()

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        """As a method: the instance is the first argument (part of the signature, by identity)."""
        return self if obj is None else types.MethodType(self, obj)

    def __repr__(self) -> str:
        return f"<tg.function {self.__name__}: {self._traces} trace(s)>"

    # ---- calling -----------------------------------------------------------------------------
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        stack = state.recorders
        if not stack and not kwargs:  # the hot path: Tensor arguments, nothing recording
            key: Any = [len(args)]
            vals = []
            for x in args:
                if x.__class__ is not Tensor:
                    break
                v = x._value
                vals.append(v)
                cls = v.__class__
                if cls is ndarray:
                    key.append(v.shape)
                    key.append(v.dtype)
                else:  # a NumPy scalar: its class says its dtype, its shape is ()
                    key.append(cls)
            else:
                # (a call passing one tensor twice may run code traced for two: it computes the same)
                entry = self._cache.get(tuple(key))
                if entry is not None:
                    for c in entry:
                        out = c.call(args, *vals)
                        if out is not RETRACE:
                            return out
        if stack:
            if stack is RAW:
                return self.python_function(*args, **kwargs)
            for recorder in stack:
                if getattr(recorder, "is_tracer", False):  # inside another trace: inlined there
                    return self.python_function(*args, **kwargs)
        key, leaves, treedef = self._signature(args, kwargs)
        entry = self._cache.get(key)
        if entry is not None:
            if not stack:
                vals = [leaves[i]._value if leaves[i].__class__ is Tensor else leaves[i]
                        for i in entry[0].param_leaves]
                for c in entry:
                    out = c.call(leaves, *vals)
                    if out is not RETRACE:
                        return out
            else:
                for c in entry:
                    out = c.call_taped(leaves, stack)
                    if out is EAGER:
                        return self.python_function(*args, **kwargs)
                    if out is not RETRACE:
                        return out
        elif key in self._eager:
            return self.python_function(*args, **kwargs)
        return self._trace(key, args, kwargs, leaves, treedef, entry)

    def call_raw(self, leaves: list) -> list:
        """Call on NumPy values (or None) as a flat list of positional arguments, nothing recording:
        the flat list of NumPy outputs (what derivative rules running on plain values need)."""
        key, _, _ = self._signature(tuple(leaves), {})
        entry = self._cache.get(key)
        if entry is not None:
            vals = [leaves[i] for i in entry[0].param_leaves]
            for c in entry:
                out = c.fn(*vals)
                if out is not RETRACE:
                    return c.raw_outputs(out, leaves)
        wrapped = [wrap(x) if isinstance(x, (np.ndarray, np.generic)) else x for x in leaves]
        with _context.recorders_set_to(()):
            result = self._trace(key, tuple(wrapped), {}, wrapped, None, entry)
        out = []
        for x in flatten(result)[0]:
            out.append(x._value if isinstance(x, Tensor) else x)
        return out

    # ---- signatures ---------------------------------------------------------------------------
    def _signature(self, args: tuple, kwargs: dict) -> tuple[Any, list, Any]:
        if kwargs:
            leaves, treedef = flatten((args, kwargs))
        else:
            leaves, treedef = flatten(args)
        spec: list = []
        fast = True
        for x in leaves:
            cls = x.__class__
            if cls is Tensor:
                v = x._value
                spec.append((v.__class__, v.shape, v.dtype))
                if v.__class__ is not ndarray and not isinstance(v, np.generic):
                    fast = False  # (a Dask or CuPy array: the hot path's key, class alone, lacks its shape)
                continue
            fast = False
            if cls is Tensor:
                pass
            elif cls is np.ndarray or isinstance(x, np.generic):
                spec.append(("array", cls, np.shape(x), x.dtype))
            elif isinstance(x, Variable):
                fast = False
                v = x._value
                # (by identity: the program cannot tell a read of the argument from a read of the
                # same Variable through a closure, which stays that Variable when another is passed)
                spec.append(("variable", v.__class__, v.shape, v.dtype, x.trainable, id(x)))
            elif isinstance(x, Tensor):
                v = x._value
                spec.append((v.__class__, v.shape, v.dtype))
            else:
                fast = False
                try:
                    hash(x)
                    if cls is float or cls is complex:  # (-0.0 == 0.0: the bits tell them apart)
                        spec.append(("python", cls, x, struct.pack("<dd", x.real, x.imag)))
                    else:
                        spec.append(("python", cls, x))
                except TypeError:
                    spec.append(("object", id(x)))
        n = len(leaves)
        alias: Any = None
        if n > 1:
            ids = [id(x) for x in leaves]
            if len(set(ids)) < n:
                first: dict = {}
                alias = tuple(first.setdefault(i, j) for j, i in enumerate(ids))
        if fast and alias is None and args.__class__ is tuple and not kwargs and _flat(treedef):
            # (tensors as flat positional arguments, the key of the hot path: nested ones keep their structure)
            flat: list = [len(leaves)]
            for cls, shape, dtype in spec:
                if cls is ndarray:
                    flat += (shape, dtype)
                else:
                    flat.append(cls)
            return tuple(flat), leaves, treedef
        return ("slow", _hashable(treedef), tuple(spec), alias), leaves, treedef

    # ---- tracing ------------------------------------------------------------------------------
    def _trace(self, key: Any, args: tuple, kwargs: dict, leaves: list, treedef: Any, entry: Any) -> Any:
        # A trace keeps every value alive until its code is generated: the cyclic garbage collector
        # would scan them again and again (half the time of a 2,000-op trace) and cannot free them.
        enabled = gc.isenabled()
        gc.disable()
        try:
            return self._trace_once(key, args, kwargs, leaves, treedef, entry)
        finally:
            if enabled:
                gc.enable()

    def _trace_once(self, key: Any, args: tuple, kwargs: dict, leaves: list, treedef: Any, entry: Any) -> Any:
        if entry is not None and len(entry) >= MAX_PATHS:
            self._cache.pop(key, None)
            self._eager.add(key)
            self._warn_once(
                "paths",
                f"tg.function {self.__name__!r} keeps failing its guards (values read with bool(), float(), "
                f"int() or .numpy() keep changing the path): it now runs eagerly for this signature",
            )
            return self.python_function(*args, **kwargs)
        tracer = Tracer()
        call_leaves = list(leaves)
        params: list[str] = []
        param_leaves: list[int] = []
        arg_slots: dict = {}
        unique: list[int] = []
        stand_ins: dict[int, Tensor] = {}  # id of a tensor argument -> what the traced function receives
        for i, x in enumerate(leaves):
            if isinstance(x, Variable):
                s = tracer.slot(x, i)
                j = tracer.slot_order.index(s)
                if j in arg_slots:  # the same Variable passed again: one parameter
                    continue
                name = f"w{j}"
                arg_slots[j] = name
            elif isinstance(x, (Tensor, np.ndarray, np.generic)):
                name = f"x{i}"
                t = stand_ins.get(id(x))
                if t is None:
                    if x.__class__ is Tensor:
                        # the argument's value and key (recorders see the argument) in another object:
                        # the passed tensor itself, reached through a closure, is then a constant of the
                        # program, as it is for later calls passing other tensors (Tracer.arguments)
                        t = Tensor.__new__(Tensor)
                        t._value, t._key = x._value, key_of(x)
                    else:  # NumPy arguments are traced as tensors (as TF does)
                        t = x if isinstance(x, Tensor) else wrap(x)
                    stand_ins[id(x)] = t
                    tracer.name_argument(t, x, name)
                    unique.append(len(params))
                call_leaves[i] = t
            else:
                continue
            params.append(name)
            param_leaves.append(i)
        if treedef is None and len(call_leaves) == 1 and not kwargs:
            call_args, call_kwargs = (call_leaves[0],), {}
        elif kwargs:
            call_args, call_kwargs = unflatten(treedef, call_leaves)
        else:
            call_args, call_kwargs = unflatten(treedef, call_leaves) if treedef is not None else tuple(call_leaves), {}
            call_args = tuple(call_args)
        _context.push(tracer)
        try:
            result = self.python_function(*call_args, **call_kwargs)
        finally:
            _context.remove(tracer)
        self._traces += 1
        unsure = None
        if tracer.created:
            unsure = ("variables", "creates tg.Variables at every call: it runs eagerly (create them outside, "
                                   "or on the first call only)")
        elif tracer.ambiguous():
            unsure = ("closure", "closes over the tensor passed to it, and differentiates it inside: it runs "
                                 "eagerly for this signature (pass the tensor once, or copy it)")
        if unsure is not None:  # this trace is not cached; the next call traces again (once more)
            if key in self._retraced:
                self._eager.add(key)
                self._warn_once(unsure[0], f"tg.function {self.__name__!r} {unsure[1]}")
            self._retraced.add(key)
            return _originals(result, stand_ins, leaves)
        if tracer.unsupported:
            self._eager.add(key)
            self._warn_once("unsupported", f"tg.function {self.__name__!r} runs eagerly: {tracer.unsupported}")
            return _originals(result, stand_ins, leaves)
        out_leaves, out_treedef = flatten(result)
        outputs: list = []
        position: dict[int, int] = {}  # id of an argument leaf as the function received it -> its first index
        for i, a in enumerate(call_leaves):
            position.setdefault(id(a), i)
        for x in out_leaves:
            idx = position.get(id(x))
            if idx is not None and isinstance(leaves[idx], (np.ndarray, np.generic)):
                outputs.append(("v", f"x{idx}"))  # a NumPy argument, returned as the Tensor the trace gave
            elif idx is not None:
                outputs.append(("arg", idx))
            else:
                name = tracer.name_of(x) if isinstance(x, Tensor) and not isinstance(x, Variable) else None
                outputs.append(("c", x) if name is None else ("v", name))
        tracer.guard_unread({what for kind, what in outputs if kind == "v"})
        concrete = ConcreteFunction(self, tracer, params, param_leaves, arg_slots, outputs, out_treedef, unique)
        if concrete.guard_after_effect:
            self._eager.add(key)
            self._warn_once("effect", f"tg.function {self.__name__!r} reads a value that an optimizer step "
                                      "(or another side effect) changed: it runs eagerly, since a failing "
                                      "check after the step could not undo it")
            return _originals(result, stand_ins, leaves)
        if entry is None:
            self._cache[key] = [concrete]
            self._note_retrace(key)
        else:
            entry.append(concrete)
        return _originals(result, stand_ins, leaves)

    def _note_retrace(self, key: Any) -> None:
        previous, self._last_spec = self._last_spec, key
        if len(self._cache) < RETRACE_WARNING + 1 or previous is None or "retrace" in self._warned:
            return
        self._warn_once("retrace", f"tg.function {self.__name__!r} was traced {len(self._cache)} times "
                                   f"({_what_changed(self.python_function, previous, key)}); each new shape, "
                                   "dtype or Python argument value traces again: pass tensors of one shape, "
                                   "and tensors instead of Python numbers that change")

    def _warn_once(self, what: str, message: str) -> None:
        if what not in self._warned:
            self._warned.add(what)
            warnings.warn(message, FunctionWarning, stacklevel=4)

    # ---- inspection ------------------------------------------------------------------------------
    def get_concrete_function(self, *args: Any, **kwargs: Any) -> ConcreteFunction:
        """The traced program for these arguments (tracing by running the function once if needed)."""
        key, leaves, treedef = self._signature(args, kwargs)
        entry = self._cache.get(key)
        for _ in range(2):  # (a trace that makes Variables is not kept: the next one may be)
            if entry is not None or key in self._eager:
                break
            with _context.recorders_set_to(()):
                self._trace(key, args, kwargs, leaves, treedef, None)
            entry = self._cache.get(key)
        if entry is None:
            raise ValueError(f"tg.function {self.__name__!r} runs eagerly for these arguments: no generated code")
        vals = [leaves[i]._value if isinstance(leaves[i], Tensor) and not isinstance(leaves[i], Variable)
                else leaves[i] for i in entry[0].param_leaves]
        for c in entry:  # the path these values take
            if c.changes_state or c.fn(*vals) is not RETRACE:
                break
        c.example = [x._value if isinstance(x, Tensor) else x for x in c.pure_arguments(leaves)]
        return c

    def source(self, *args: Any, **kwargs: Any) -> str:
        """The generated Python source for these arguments (``get_concrete_function(...).source``)."""
        return self.get_concrete_function(*args, **kwargs).source

    def experimental_get_tracing_count(self) -> int:
        """How many times the function was traced (TensorFlow's name)."""
        return self._traces


def _originals(result: Any, stand_ins: dict, leaves: list) -> Any:
    """The traced call's result with each tensor argument it returns as passed (not its stand-in)."""
    back = {}
    for x in leaves:
        t = stand_ins.get(id(x))
        if t is not None and t is not x and x.__class__ is Tensor:
            back[id(t)] = x
    if not back:
        return result
    out, treedef = flatten(result)
    if not any(id(x) in back for x in out):
        return result
    return unflatten(treedef, [back.get(id(x), x) for x in out])


def _flat(treedef: Any) -> bool:
    """Whether the arguments are a flat tuple of leaves (no list, tuple or dict inside)."""
    return treedef is not None and treedef[1].__class__ is int


def _hashable(treedef: Any) -> Any:
    if isinstance(treedef, list):
        return tuple(_hashable(x) for x in treedef)
    if isinstance(treedef, tuple):
        return tuple(_hashable(x) for x in treedef)
    return treedef


def _describe(spec: Any) -> str:
    if isinstance(spec, tuple) and spec and spec[0] == "python":
        return repr(spec[2])[:40]
    if isinstance(spec, tuple) and spec and spec[0] in ("array", "variable"):
        return f"shape {spec[2]} {np.dtype(spec[3]).name}"
    if isinstance(spec, tuple) and len(spec) == 3:
        return f"shape {spec[1]} {np.dtype(spec[2]).name}"
    return "a different object"


def _fast_specs(key: tuple) -> list:
    specs, i = [], 1
    while i < len(key):
        if isinstance(key[i], tuple):
            specs.append((ndarray, key[i], key[i + 1]))
            i += 2
        else:
            specs.append((key[i], (), np.dtype(key[i])))
            i += 1
    return specs


def _what_changed(fn: Callable, old: Any, new: Any) -> str:
    """Which argument differs between two signatures, in words."""
    specs_old = old[2] if old[0] == "slow" else _fast_specs(old)
    specs_new = new[2] if new[0] == "slow" else _fast_specs(new)
    try:
        names = [p for p in inspect.signature(fn).parameters]
    except (TypeError, ValueError):
        names = []
    if len(specs_old) != len(specs_new):
        return "the number of arguments changed"
    for i, (a, b) in enumerate(zip(specs_old, specs_new)):
        if a != b:
            name = names[i] if i < len(names) else f"#{i}"
            if a[0] == "variable" and a[:-1] == b[:-1]:
                return f"argument {name!r} is another tg.Variable (each Variable passed is traced for itself)"
            return f"argument {name!r} changed from {_describe(a)} to {_describe(b)}"
    return "the arguments' structure changed"


def function(func: Callable[..., Any] | None = None, *, name: str | None = None) -> Any:
    """Compile ``func`` by tracing (TensorFlow's ``tf.function``); usable as ``@tg.function``.

    Each new input signature traces ``func`` once (running it eagerly); the next calls run the traced
    program line by line on NumPy values, and from the 9th on, straight-line NumPy code generated
    from it (generated and compiled once). Under tapes and accumulators the compiled call
    gives exactly the eager derivatives. ``f.get_concrete_function(*args).source`` shows the code
    (``.vjp_source()`` the code a call under a GradientTape runs). Tensors ``func`` closes over are
    constants of the code (pass changing ones as arguments); a call under a recorder tracking one
    runs eagerly, so its derivative is exact:

        @tg.function
        def f(x1, x2, x3):
            return 3 * (x1**2 + x2 * x3)

        xs = [tg.constant(v, dtype=tg.float64) for v in (2.0, 3.0, 4.0)]
        print(f(*xs))
        print(f.get_concrete_function(*xs).source)
    """
    if func is None:
        return lambda f: function(f, name=name)
    if isinstance(func, Function):
        return func
    fn = Function(func, name)
    functools.update_wrapper(fn, func, updated=())
    return fn


def print(*inputs: Any, output_stream: Any = None, sep: str = " ", end: str = "\n") -> None:  # noqa: A001
    """Print values each time this line runs, in a tg.function's generated code too (``tf.print``).

    Python's ``print`` inside a tg.function runs only while it traces (as in TensorFlow); this one
    is replayed by every call with that call's values. Tensors and Variables print as their NumPy
    values; the rest as ``str``. Writes to ``output_stream`` (sys.stderr when None, as tf.print).

        @tg.function
        def step(x):
            y = tg.sin(x)
            tg.print("y =", y)
            return y
    """
    _context.effect(_print_values, output_stream, sep, end, *inputs)


def _print_values(stream: Any, sep: str, end: str, *values: Any) -> None:
    shown = [str(v._value) if isinstance(v, Tensor) else str(v) for v in values]
    (sys.stderr if stream is None else stream).write(sep.join(shown) + end)
