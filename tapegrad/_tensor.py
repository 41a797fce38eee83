"""Tensor (an immutable value over a NumPy array) and Variable (a mutable holder of one).

Operators and NumPy's hooks look their implementation up in registries that ``tapegrad.ops``
fills, so this module knows nothing of individual ops.
"""

from __future__ import annotations

import itertools
import threading
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Callable, Iterator, NoReturn

import numpy as np

from tapegrad import _backend, _context
from tapegrad._dtypes import as_dtype, python_to_array

ops = SimpleNamespace()  # filled by tapegrad.ops: add, multiply, getitem, ...
UFUNCS: dict[np.ufunc, Callable] = {}  # np.sin -> tg.sin; filled by tapegrad.ops
FUNCTIONS: dict[Callable, Callable] = {}  # np.sum -> tg.sum; filled by tapegrad.ops

new_key = itertools.count(1).__next__  # recorders name tensors by these keys, never reused (unlike id())
_KEY_LOCK = threading.Lock()


class Tensor:
    """An immutable n-dimensional value. Operations on it are recorded by active tapes."""

    # _key: None until a tape or accumulator first sees the tensor, then a unique int (``new_key``).
    # Records hold keys rather than tensors, so a tape keeps alive only the values its rules read.
    __slots__ = ("_value", "_key", "__weakref__")
    __array_priority__ = 100.0
    __hash__ = None  # == is elementwise, so tensors cannot be dict keys or set members

    def __init__(self, value: Any, dtype: Any = None) -> None:
        if isinstance(value, Tensor):
            _context.tell("on_read", value, "numpy")  # (a new constant of its value: tg.function guards it)
            value = value._value
        self._value = python_to_array(value, dtype)
        self._key = None

    # ---- plain value access -------------------------------------------------------------
    def numpy(self) -> Any:
        """The value as a NumPy array (a copy), or a NumPy scalar for a 0-d tensor.

        Plain numbers carry no gradient: this is how to log or plot values on purpose (as
        ``float(t)``); inside a tape, ``np.asarray(t)`` of a tracked tensor is refused instead.
        For a Dask-backed tensor this computes it (``tg.compute`` computes several at once).
        """
        _context.tell("on_export", self)  # tape.explain names such tensors
        _context.tell("on_read", self, "numpy")  # tg.function turns such reads into guards
        v = self._value
        if v.__class__ is not np.ndarray and _backend.is_foreign(v):
            return _backend.to_numpy(v)
        return v.copy() if isinstance(v, np.ndarray) and v.ndim else np.asarray(v)[()]

    @property
    def array(self) -> Any:
        """The array this tensor holds, of the library it was made from (read-only).

        A ``dask.array.Array`` stays lazy (compute it with ``dask.compute`` or ``tg.compute``), a
        ``cupy.ndarray`` stays on its GPU; a NumPy value comes as a read-only view.
        """
        _context.tell("on_read", self, "numpy")  # (a value read: tg.function guards it, as .numpy())
        v = self._value
        if isinstance(v, np.ndarray):
            v = v.view()
            v.flags.writeable = False
        return v

    @property
    def shape(self) -> tuple[int, ...]:
        return self._value.shape

    @property
    def dtype(self) -> np.dtype:
        return self._value.dtype

    @property
    def ndim(self) -> int:
        return self._value.ndim

    @property
    def size(self) -> int:
        return self._value.size

    def __len__(self) -> int:
        shape = self.shape
        if not shape:
            raise TypeError("len() of a 0-d tensor (a scalar) is undefined")
        return shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        for i in range(len(self)):
            yield ops.getitem(self, i)

    def __float__(self) -> float:
        """The value as a Python float (for logging): plain numbers carry no gradient."""
        _context.tell("on_export", self)
        return float(self._scalar("float"))

    def __complex__(self) -> complex:
        """The value as a Python complex (without it, complex() took __float__: no imaginary part)."""
        _context.tell("on_export", self)
        return complex(self._scalar("complex"))

    def __int__(self) -> int:
        return int(self._scalar("int"))

    def __bool__(self) -> bool:
        return bool(self._scalar("bool"))

    def __index__(self) -> int:
        if self.dtype.kind not in "iub":
            raise TypeError(f"only integer scalar tensors can be used as an index, not {self.dtype}")
        return int(self._scalar("index"))

    def _scalar(self, what: str) -> Any:
        if self.size != 1:
            raise ValueError(
                f"{what}() needs a tensor with one element, this one has shape {self.shape}; "
                "reduce it first (e.g. tg.reduce_sum) or use .numpy()"
            )
        _context.tell("on_read", self, what)
        return np.asarray(_backend.to_numpy(self._value)).reshape(())[()]

    def __copy__(self) -> Tensor:
        """A new constant with the same value (tapes watching this tensor do not follow the copy)."""
        _context.tell("on_read", self, "numpy")  # (tg.function: a constant of this value, guarded)
        return wrap(self._value)

    def __deepcopy__(self, memo: dict) -> Tensor:
        _context.tell("on_read", self, "numpy")
        return wrap(self._value.copy())

    def __reduce__(self) -> tuple:
        return wrap, (self._value,)  # unpickled: a new constant (keys belong to this process)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        """The value for NumPy (``np.asarray(t)``): a read-only view, or a copy with ``copy=True``.

        A tensor that an active tape or accumulator tracks is refused (as JAX refuses tracers): the
        plain array would silently drop its gradient.
        """
        if self._key is not None:
            _refuse_if_tracked(self)
        _context.tell("on_read", self, "numpy")
        v = self._value
        if v.__class__ is not np.ndarray and _backend.is_foreign(v):
            v = _backend.to_numpy(v)  # computes a Dask array, copies from a GPU
        if copy:
            return np.array(v, dtype=dtype, copy=True)
        out = np.asarray(v, dtype=dtype)
        if out is v:  # the tensor's own array: hand out a read-only view of it
            out = out.view()
            out.flags.writeable = False
        return out

    def __repr__(self) -> str:
        if _backend.is_foreign(self._value):  # never computes a lazy array to print it
            return f"<tg.{type(self).__name__}: {_backend.describe(self._value)}>"
        body = np.array_repr(np.asarray(self._value)) if self.ndim else repr(np.asarray(self._value)[()])
        sep = "\n" if self.ndim > 1 else ""
        return f"<tg.{type(self).__name__}: shape={self.shape}, dtype={self.dtype.name}, numpy={sep}{body}>"

    def __str__(self) -> str:
        if _backend.is_foreign(self._value):
            return f"tg.Tensor({_backend.describe(self._value)})"
        return f"tg.Tensor({str(np.asarray(self._value))}, shape={self.shape}, dtype={self.dtype.name})"

    def __format__(self, spec: str) -> str:
        _context.tell("on_read", self, "numpy")  # (tg.function: text made from the value, guarded)
        return format(np.asarray(self._value)[()] if self.ndim == 0 else self._value, spec)

    def _repr_html_(self) -> str:
        """Jupyter's display: kind, name, shape and dtype on one line, the values (summarised) below."""
        import html

        name = getattr(self, "name", None)
        head = f"tg.{type(self).__name__}" + (f" '{name}'" if name else "")
        values = np.array2string(np.asarray(self._value), threshold=100, edgeitems=3, max_line_width=100)
        return (
            f"<div><code><b>{html.escape(head)}</b> shape={self.shape} dtype={self.dtype.name}</code>"
            f"<pre style='margin:2px 0 0 0'>{html.escape(values)}</pre></div>"
        )

    # ---- NumPy interoperability -----------------------------------------------------------
    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if method != "__call__":  # np.add.reduce, np.multiply.accumulate, np.maximum.outer, ...
            return ops.ufunc_method(ufunc, method, inputs, kwargs)  # tapegrad.ops.ufunc_methods.call
        op = UFUNCS.get(ufunc)
        if op is None:
            raise TypeError(
                f"tapegrad has no derivative rule for numpy.{ufunc.__name__}; call a tapegrad op instead "
                "or convert with .numpy() if you do not need its gradient"
            )
        if kwargs:
            raise TypeError(
                f"numpy.{ufunc.__name__} on a tapegrad Tensor does not take {sorted(kwargs)}; "
                "tensors are immutable, so out= is not supported"
            )
        return op(*inputs)

    def __array_function__(self, func: Callable, types: Any, args: Any, kwargs: Any) -> Any:
        op = FUNCTIONS.get(func)
        if op is None:
            raise TypeError(
                f"tapegrad has no derivative rule for numpy.{func.__name__}; use a tapegrad op, or "
                "convert with .numpy() if you do not need its gradient"
            )
        return op(*args, **kwargs)

    def __pos__(self) -> Tensor:
        return self

    def __setitem__(self, index: Any, value: Any) -> None:
        raise TypeError(
            "tapegrad tensors are immutable: x[...] = v would not be recorded; build a new tensor instead "
            "(tnp.where(mask, v, x), tnp.put_along_axis(x, idx, v, axis), or tnp.concatenate of the pieces)"
        )

    # ---- method spellings of common ops ------------------------------------------------------
    def reshape(self, *shape: Any, order: str = "C", copy: Any = None) -> Tensor:
        shape = shape[0] if len(shape) == 1 else shape
        if order in ("A", "K"):  # NumPy's: F for a Fortran-contiguous value, else C (K as A: tensors have no strides)
            flags = np.asarray(self._value).flags
            order = "F" if flags.f_contiguous and not flags.c_contiguous else "C"
        if order == "C":
            return ops.reshape(self, shape)
        if order != "F":
            raise ValueError(f"reshape: order must be 'C', 'F', 'A' or 'K', got {order!r}")
        # Fortran order: reverse the axes, reshape to the reversed shape, reverse back
        return ops.transpose(ops.reshape(ops.transpose(self), tuple(np.atleast_1d(shape))[::-1]))

    def transpose(self, *axes: Any) -> Tensor:
        return ops.transpose(self, (axes[0] if len(axes) == 1 else axes) or None)

    def astype(
        self, dtype: Any, order: str = "K", casting: str = "unsafe", subok: bool = True, copy: bool = True
    ) -> Tensor:
        return ops.cast(self, dtype)

    ravel = lambda self, order="C": self.reshape(-1, order=order)  # noqa: E731
    flatten = lambda self, order="C": self.reshape(-1, order=order)  # noqa: E731  (a new tensor either way)

    def item(self, *args: Any) -> Any:
        """One element as a Python number (stops the gradient, as ``float(t)``)."""
        _context.tell("on_export", self)
        _context.tell("on_read", self, "numpy")  # (tg.function guards it, as .numpy())
        return np.asarray(self._value).item(*args)

    def sort(self, axis: Any = -1, kind: Any = None, order: Any = None, *, stable: Any = None) -> NoReturn:
        """Refused: NumPy's ``a.sort()`` sorts ``a`` in place and returns None, and a tensor cannot change,
        so ``t.sort(); use(t)`` would go on with the unsorted values. Sort into a new tensor instead."""
        raise TypeError(
            "t.sort() sorts in place in NumPy (ndarray.sort returns None), but tapegrad tensors are immutable; "
            "take the sorted copy instead: t = np.sort(t, axis) (tapegrad.numpy.sort; for a Variable "
            "v.assign(np.sort(v, axis)))"
        )

    def tolist(self) -> Any:
        """The value as nested Python lists (stops the gradient, as ``.numpy()``)."""
        _context.tell("on_export", self)
        _context.tell("on_read", self, "numpy")
        return np.asarray(self._value).tolist()

    # For type checkers and IDEs: the members made after the class from the name tables, in the tables' order
    # (tests/test_typing.py checks). The parameters are NumPy's; one without an annotation is Any.
    if TYPE_CHECKING:

        def __add__(self, other) -> Tensor: ...
        def __radd__(self, other) -> Tensor: ...
        def __sub__(self, other) -> Tensor: ...
        def __rsub__(self, other) -> Tensor: ...
        def __mul__(self, other) -> Tensor: ...
        def __rmul__(self, other) -> Tensor: ...
        def __truediv__(self, other) -> Tensor: ...
        def __rtruediv__(self, other) -> Tensor: ...
        def __floordiv__(self, other) -> Tensor: ...
        def __rfloordiv__(self, other) -> Tensor: ...
        def __mod__(self, other) -> Tensor: ...
        def __rmod__(self, other) -> Tensor: ...
        def __pow__(self, other) -> Tensor: ...
        def __rpow__(self, other) -> Tensor: ...
        def __matmul__(self, other) -> Tensor: ...
        def __rmatmul__(self, other) -> Tensor: ...
        def __eq__(self, other) -> Tensor: ...  # type: ignore[override]
        def __ne__(self, other) -> Tensor: ...  # type: ignore[override]
        def __lt__(self, other) -> Tensor: ...
        def __le__(self, other) -> Tensor: ...
        def __gt__(self, other) -> Tensor: ...
        def __ge__(self, other) -> Tensor: ...
        def __and__(self, other) -> Tensor: ...
        def __or__(self, other) -> Tensor: ...
        def __getitem__(self, index) -> Tensor: ...
        def __neg__(self) -> Tensor: ...
        def __abs__(self) -> Tensor: ...
        def __invert__(self) -> Tensor: ...
        def conj(self) -> Tensor: ...
        def conjugate(self) -> Tensor: ...
        @property
        def T(self) -> Tensor: ...
        @property
        def real(self) -> Tensor: ...
        @property
        def imag(self) -> Tensor: ...
        def sum(self, axis=None, dtype=None, out=None, keepdims: bool = False, **kw) -> Tensor: ...
        def mean(self, axis=None, dtype=None, out=None, keepdims: bool = False, **kw) -> Tensor: ...
        def max(self, axis=None, out=None, keepdims: bool = False, **kw) -> Tensor: ...
        def min(self, axis=None, out=None, keepdims: bool = False, **kw) -> Tensor: ...
        def prod(self, axis=None, dtype=None, out=None, keepdims: bool = False, **kw) -> Tensor: ...
        def squeeze(self, axis=None) -> Tensor: ...
        def swapaxes(self, axis1: int, axis2: int) -> Tensor: ...
        def argmax(self, axis=None, out=None, *, keepdims: bool = False) -> Tensor: ...
        def argmin(self, axis=None, out=None, *, keepdims: bool = False) -> Tensor: ...
        def argsort(self, axis: Any = -1, kind=None, order=None, *, stable=None) -> Tensor: ...
        def cumsum(self, axis=None, dtype=None, out=None) -> Tensor: ...
        def cumprod(self, axis=None, dtype=None, out=None) -> Tensor: ...
        def clip(self, min=None, max=None, out=None, **kw) -> Tensor: ...
        def dot(self, b, out=None) -> Tensor: ...
        def round(self, decimals: int = 0, out=None) -> Tensor: ...
        def trace(self, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype=None, out=None) -> Tensor: ...
        def diagonal(self, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor: ...
        def repeat(self, repeats, axis=None) -> Tensor: ...
        def take(self, indices, axis=None, out=None, mode: str = "raise") -> Tensor: ...
        def var(self, axis=None, dtype=None, out=None, ddof: float = 0, keepdims: bool = False, **kw) -> Tensor: ...
        def std(self, axis=None, dtype=None, out=None, ddof: float = 0, keepdims: bool = False, **kw) -> Tensor: ...
        def all(self, axis=None, out=None, keepdims: bool = False, **kw) -> Tensor: ...
        def any(self, axis=None, out=None, keepdims: bool = False, **kw) -> Tensor: ...
        def nonzero(self) -> tuple[Tensor, ...]: ...
        def copy(self, order: str = "K") -> Tensor: ...


# ---- operators and ndarray methods: each calls an op (looked up per call: tapegrad.ops fills ``ops``) --
_OPS = vars(ops)


def _method(op: str, arity: int = 2, reflected: bool = False) -> Callable:
    if arity == 1:
        return lambda self: _OPS[op](self)
    if reflected:
        return lambda self, other: _OPS[op](other, self)
    return lambda self, other: _OPS[op](self, other)


# fmt: off
for _name, _op in {  # Python's binary operators, each with its reflected form (2 - t calls t.__rsub__)
    "add": "add", "sub": "subtract", "mul": "multiply", "truediv": "divide", "floordiv": "floor_divide",
    "mod": "mod", "pow": "power", "matmul": "matmul"
}.items():
    setattr(Tensor, f"__{_name}__", _method(_op))
    setattr(Tensor, f"__r{_name}__", _method(_op, reflected=True))
for _name, _op in {
    "__eq__": "equal", "__ne__": "not_equal", "__lt__": "less", "__le__": "less_equal", "__gt__": "greater",
    "__ge__": "greater_equal", "__and__": "logical_and", "__or__": "logical_or", "__getitem__": "getitem"
}.items():
    setattr(Tensor, _name, _method(_op))
for _name, _op in {"__neg__": "negative", "__abs__": "abs", "__invert__": "logical_not", "conj": "conj"}.items():
    setattr(Tensor, _name, _method(_op, arity=1))
Tensor.conjugate = Tensor.conj
Tensor.T, Tensor.real, Tensor.imag = (property(_method(op, arity=1)) for op in ("transpose", "real", "imag"))
# fmt: on
_AXIS_ONLY = frozenset({"axis", "keepdims"})


def _numpy_method(name: str) -> Callable:
    """``t.<name>(...)``, NumPy's ndarray method, as ``np.<name>(t, ...)`` (NumPy's arguments).

    (Not ``t.sort()``: NumPy's sorts in place, which a tensor cannot; see ``Tensor.sort``.) The reductions
    with only an axis and keepdims go straight to their op.
    """
    if name in ("sum", "mean", "max", "min"):
        return lambda self, *args, **kw: (
            _OPS[name](self, *args, **kw)
            if len(args) <= 1 and kw.keys() <= _AXIS_ONLY
            else _numpy(name)(self, *args, **kw)
        )
    return lambda self, *args, **kw: _numpy(name)(self, *args, **kw)


# fmt: off
for _name in (
    "sum", "mean", "max", "min", "prod", "squeeze", "swapaxes", "argmax", "argmin", "argsort", "cumsum",
    "cumprod", "clip", "dot", "round", "trace", "diagonal", "repeat", "take", "var", "std", "all", "any", "nonzero",
    "copy",
):
    setattr(Tensor, _name, _numpy_method(_name))
# fmt: on


def _numpy(name: str) -> Callable:
    """The function ``np.<name>(tensor)`` reaches (tapegrad.numpy registers the ones not in tapegrad.ops)."""
    op = FUNCTIONS.get(getattr(np, name))
    if op is None:
        import tapegrad.numpy  # noqa: F401  (registers its functions)

        op = FUNCTIONS[getattr(np, name)]
    return op


def value_read(tensor: Tensor) -> Any:
    """A tensor's value as Python code reads it (an index, a fill value): tracing recorders guard it."""
    _context.tell("on_read", tensor, "numpy")
    return tensor._value


def _refuse_if_tracked(tensor: Tensor) -> None:
    stack = _context.state.recorders
    if not stack or stack is _context.RAW:
        return
    key = tensor._key
    for recorder in stack:
        tracks = getattr(recorder, "tracks", None)
        if tracks is not None and tracks(key):
            what = "GradientTape" if getattr(recorder, "is_tape", False) else "ForwardAccumulator"
            raise TypeError(
                f"a tensor that an active {what} tracks (shape {tensor.shape}, dtype {tensor.dtype}) is being "
                "converted to a plain NumPy array (np.array, np.asarray, or a list of tensors given to NumPy), "
                "which would silently drop its gradient. To keep the gradient use tapegrad ops: tnp.array or "
                "tg.stack for lists of tensors, tg.* / np.* functions on the tensor itself. To drop it on "
                "purpose use t.numpy() or tg.stop_gradient(t)."
            )


def key_of(tensor: Tensor) -> int:
    """The tensor's recorder key, assigned on first use: how tapes and accumulators name it.

    (Outputs get theirs from the recorder that first records them, in the thread that made them;
    this is for tensors from outside, which two threads could watch at once, hence the lock.)
    """
    k = tensor._key
    if k is None:
        with _KEY_LOCK:
            k = tensor._key
            if k is None:
                k = tensor._key = new_key()
    return k


def wrap(value: Any) -> Tensor:
    """Make a Tensor around an already converted NumPy value, skipping all checks (hot path)."""
    t = Tensor.__new__(Tensor)
    t._value = value
    t._key = None
    return t


class Variable(Tensor):
    """A mutable, named holder of a tensor value; trainable ones are watched by tapes on read.

    Assigning replaces the held array (never writes into it), so values a tape recorded earlier stay
    as they were. Each read hands out a snapshot Tensor that stays the same until the next assign.
    """

    __slots__ = ("_snapshot", "trainable", "name")

    def __init__(self, initial_value: Any, trainable: bool = True, name: str | None = None, dtype: Any = None) -> None:
        if callable(initial_value):
            initial_value = initial_value()
        if isinstance(initial_value, Tensor):
            initial_value = initial_value._value
        self._value = python_to_array(initial_value, dtype)
        self._key = None
        self._snapshot: Tensor | None = None
        self.trainable = bool(trainable)
        self.name = name if name is not None else "Variable"
        if _context.state.recorders:  # (tg.function: a Variable made while tracing is made at every call)
            _context.tell("on_variable_created", self)

    def read_value(self) -> Tensor:
        """The current value as an (immutable) Tensor; tapes see this read."""
        snap = self._snapshot
        if snap is None:
            snap = self._snapshot = wrap(self._value)
        stack = _context.state.recorders
        if stack and stack is not _context.RAW:
            for recorder in stack:
                recorder.on_variable_read(self, snap)
        return snap

    def snapshot(self) -> Tensor:
        """The current value as a Tensor, without telling any tape about the read."""
        snap = self._snapshot
        if snap is None:
            snap = self._snapshot = wrap(self._value)
        return snap

    def assign(self, value: Any) -> Variable:
        _context.tell("on_assign", self, "assign", value)
        self._value = self._checked(value, "assign")
        self._snapshot = None
        return self

    def assign_add(self, delta: Any) -> Variable:
        _context.tell("on_assign", self, "assign_add", delta)
        self._value = self._value + self._checked(delta, "assign_add")
        self._snapshot = None
        return self

    def assign_sub(self, delta: Any) -> Variable:
        _context.tell("on_assign", self, "assign_sub", delta)
        self._value = self._value - self._checked(delta, "assign_sub")
        self._snapshot = None
        return self

    def _checked(self, value: Any, method: str) -> Any:
        if value is None:
            raise TypeError(
                f"Variable.{method}(None): the gradient is None, so this variable is not connected to the loss"
            )
        # the caller's array is copied: assigning never shares memory with it (np.array copies)
        raw = value._value if isinstance(value, Tensor) else value if _backend.is_foreign(value) else np.array(value)
        own = self._value
        if raw.__class__ is not np.ndarray and not isinstance(raw, np.generic):
            if not _backend.is_foreign(raw):
                raw = np.asarray(raw)
            elif not _backend.is_foreign(own):
                raw = _backend.to_numpy(raw)  # a NumPy variable stays NumPy: a Dask gradient is computed here
        if np.shape(raw) != np.shape(own):
            raise ValueError(
                f"Variable.{method}: value of shape {np.shape(raw)} does not match the variable's shape {np.shape(own)}"
            )
        dtype = own.dtype
        if raw.dtype != dtype:
            if dtype.kind == "f" and raw.dtype.kind in "fiub" or dtype.kind in "iu" and raw.dtype.kind in "iub":
                raw = raw.astype(dtype) if _backend.is_foreign(raw) else np.asarray(raw).astype(dtype)
            else:
                raise TypeError(f"Variable.{method}: cannot store a {raw.dtype} value in a {dtype} variable")
        if isinstance(raw, np.ndarray) and raw.ndim == 0:
            raw = raw[()]
        return raw

    def numpy(self) -> Any:
        _context.tell("on_read", self, "numpy")
        v = self._value
        if _backend.is_foreign(v):
            return _backend.to_numpy(v)
        return v.copy() if isinstance(v, np.ndarray) and v.ndim else np.asarray(v)[()]

    def __copy__(self) -> Variable:
        """A new Variable holding the same value (assigning to either never changes the other)."""
        return Variable(self._value, trainable=self.trainable, name=self.name)

    def __deepcopy__(self, memo: dict) -> Variable:
        return Variable(self._value.copy(), trainable=self.trainable, name=self.name)

    def __reduce__(self) -> tuple:
        return Variable, (self._value, self.trainable, self.name)

    def __repr__(self) -> str:
        if _backend.is_foreign(self._value):
            return f"<tg.Variable '{self.name}' {_backend.describe(self._value)}>"
        body = np.array_repr(np.asarray(self._value)) if self.ndim else repr(np.asarray(self._value)[()])
        return f"<tg.Variable '{self.name}' shape={self.shape} dtype={self.dtype.name}, numpy={body}>"


def as_tensor(value: Any, dtype: Any = None) -> Tensor:
    """Return ``value`` as a Tensor (Variables give their current snapshot)."""
    if isinstance(value, Variable):
        t = value.read_value()
        return t if dtype is None or as_dtype(dtype) == t.dtype else ops.cast(t, dtype)
    if isinstance(value, Tensor):
        return value if dtype is None or as_dtype(dtype) == value.dtype else ops.cast(value, dtype)
    return wrap(python_to_array(value, dtype))
