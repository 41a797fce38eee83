"""Gradient-descent optimizers with Keras's API and update formulas: SGD, Adam, RMSprop, Adagrad.

    opt = tg.optimizers.Adam(learning_rate=0.1)
    with tg.GradientTape() as tape:
        loss = loss_fn()
    grads = tape.gradient(loss, variables)
    opt.apply_gradients(zip(grads, variables))

Updates happen outside any tape, so they work on the NumPy values directly. Each variable is then
changed through ``Variable.assign`` / ``assign_sub`` / ``assign_add`` (which replace the held
array, never write into it), so values that a tape recorded earlier stay as they were. The
arithmetic writes into temporaries the update itself just allocated (never into the variable's
array, a gradient or anything else a caller may hold), and the new value is computed into the
last of them: a plain SGD step allocates one array per variable, as ``w -= lr * g`` does.

Per-variable state ("slots") lives in plain NumPy arrays of the variable's dtype, keyed by
``id(variable)`` (Variables are unhashable); the optimizer keeps a reference to each variable it
has state for, so ids cannot be reused while the state exists. Hyperparameters are cast to the
variable's dtype before use, as Keras does, so a float32 variable is updated in float32.

A complex variable is updated as two real parameters, its real and imaginary parts (PyTorch's
``view_as_real``): its slots have a trailing axis of 2, norms for clipping count both parts, and
Adam's or RMSprop's scaling is per part. ``get_slot`` gives such a slot back as complex values.
"""

from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from tapegrad import _backend, _context
from tapegrad._tensor import Tensor, Variable, wrap

__all__ = ["Optimizer", "SGD", "Adam", "RMSprop", "Adagrad"]

LearningRate = float | Callable[..., Any]


def _raw(value: Any) -> Any:
    """The NumPy value of a Tensor, Variable, NumPy array or Python number."""
    if isinstance(value, Variable):
        return value.snapshot()._value
    if isinstance(value, Tensor):
        return value._value
    return np.asarray(value)


def _computed(pairs: list) -> list:
    """Pairs whose gradient is a lazy (Dask) array for a NumPy variable, with those gradients computed
    in one ``dask.compute``: the variables stay small NumPy arrays, the work the gradients share (the
    pass over distributed data) is done once."""
    lazy = [i for i, (g, v) in enumerate(pairs) if _backend.is_foreign(_raw(g)) and not _backend.is_foreign(v._value)]
    if not lazy:
        return pairs
    values = _backend.compute(*[_raw(pairs[i][0]) for i in lazy])
    pairs = list(pairs)
    for i, value in zip(lazy, values, strict=True):
        pairs[i] = (value, pairs[i][1])
    return pairs


def _as_real(z: Any) -> np.ndarray:
    """A complex array as a real one with a trailing axis of 2: (real part, imaginary part)."""
    return np.stack([z.real, z.imag], axis=-1)


def _as_complex(r: np.ndarray, dtype: Any) -> np.ndarray:
    """The inverse of ``_as_real``, exactly (no arithmetic: inf and nan parts stay as they are)."""
    z = np.empty(r.shape[:-1], dtype=dtype)
    z.real, z.imag = r[..., 0], r[..., 1]
    return z


class _RealView:
    """A complex Variable as the optimizers see it: a real one of shape ``shape + (2,)``, so that
    every update formula acts on the real and the imaginary part as two real parameters (PyTorch's
    ``view_as_real``). The gradient convention makes that plain gradient descent: tapegrad's gradient
    of a real loss is dL/dx + i dL/dy for z = x + iy, so its parts are the parts' gradients."""

    def __init__(self, variable: Variable) -> None:
        self.variable = variable
        self.name = variable.name
        self.shape = (*variable.shape, 2)
        self.dtype = np.finfo(variable.dtype).dtype  # complex128 -> float64

    @property
    def _value(self) -> np.ndarray:
        return _as_real(self.variable._value)

    def snapshot(self) -> Tensor:
        return wrap(self._value)

    def assign(self, value: Any) -> None:
        self.variable.assign(wrap(_as_complex(np.asarray(_raw(value)), self.variable.dtype)))

    def assign_add(self, delta: Any) -> None:
        self.assign(self._value + np.asarray(_raw(delta)))

    def assign_sub(self, delta: Any) -> None:
        self.assign(self._value - np.asarray(_raw(delta)))


def _check_positive(name: str, value: float | None, allow_zero: bool = False) -> float | None:
    if value is None:
        return None
    value = float(value)
    if not (value > 0 or allow_zero and value == 0) or math.isnan(value):
        raise ValueError(f"`{name}` must be {'non-negative' if allow_zero else 'positive'}, got {value}")
    return value


def _fresh(x: Any) -> bool:
    """Whether ``x`` is an array this update may write into (a full ndarray, not a NumPy scalar)."""
    return x.__class__ is np.ndarray and x.ndim > 0


def _assign_sub_owned(variable: Variable, delta: Any) -> None:
    """``variable.assign_sub(delta)`` for a ``delta`` that only the calling update holds.

    The new value ``w - delta`` is written into ``delta``'s memory, which then becomes the
    variable's array: the same numbers as ``assign_sub``, one allocation fewer. The variable's
    old array is only read, so snapshots of it (a tape's recorded value) keep their value.
    """
    _assign_owned(variable, delta, np.subtract, variable.assign_sub)


def _assign_add_owned(variable: Variable, delta: Any) -> None:
    """``variable.assign_add(delta)`` for a ``delta`` that only the calling update holds (see above)."""
    _assign_owned(variable, delta, np.add, variable.assign_add)


def _assign_owned(variable: Variable, delta: Any, combine: np.ufunc, fallback: Callable[[Any], Any]) -> None:
    value = variable._value
    if _fresh(delta) and _fresh(value) and delta.shape == value.shape and delta.dtype == value.dtype:
        combine(value, delta, out=delta)
        variable.assign(wrap(delta))  # as a Tensor: assign copies plain arrays, and delta is ours
    else:
        fallback(delta)


def _takes_an_argument(fn: Callable[..., Any]) -> bool:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL) for p in params)


class Optimizer:
    """Base class: gradient clipping, weight decay, the step counter and per-variable state.

    Subclasses define ``_slot_names`` (their state arrays, zero-initialised unless ``_slot_init``
    says otherwise) and ``_update(variable, grad, slots, lr)`` which changes the variable through
    its ``assign*`` methods. ``grad`` and ``lr`` already have the variable's dtype.

    Arguments every optimizer takes (Keras's names):
        learning_rate: a float, or a schedule ``step -> float`` called with ``iterations`` before
            each update (a callable taking no arguments is also accepted).
        clipnorm: clip each gradient to this L2 norm (``g * clipnorm / max(||g||, clipnorm)``).
        global_clipnorm: scale all gradients together so their joint L2 norm is at most this.
        clipvalue: clip each gradient element to ``[-clipvalue, clipvalue]``.
        weight_decay: decoupled weight decay, ``w -= w * weight_decay * learning_rate`` per step.
    At most one of the three clipping options may be set.
    """

    _slot_names: tuple[str, ...] = ()

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        *,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        weight_decay: float | None = None,
        name: str | None = None,
    ) -> None:
        if sum(c is not None for c in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError("only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set")
        if not callable(learning_rate):
            _check_positive("learning_rate", learning_rate, allow_zero=True)
        self.learning_rate = learning_rate
        self.clipnorm = _check_positive("clipnorm", clipnorm)
        self.clipvalue = _check_positive("clipvalue", clipvalue)
        self.global_clipnorm = _check_positive("global_clipnorm", global_clipnorm)
        self.weight_decay = _check_positive("weight_decay", weight_decay, allow_zero=True)
        self.name = name or type(self).__name__
        self.iterations = 0  # how many times apply_gradients has run
        self._state: dict[int, tuple[Variable, dict[str, np.ndarray]]] = {}
        self._views: dict[int, _RealView] = {}  # id(complex variable) -> its real view (holding it)

    # ---- public API -------------------------------------------------------------------------
    def apply_gradients(self, grads_and_vars: Iterable[tuple[Any, Variable]]) -> int:
        """Apply one update per (gradient, variable) pair; pairs with a ``None`` gradient are skipped.

        Returns the new value of ``iterations`` (Keras returns the step counter too).
        """
        pairs = list(grads_and_vars)
        if _context.state.recorders and all(isinstance(p, (tuple, list)) and len(p) == 2 for p in pairs):
            # one effect that recorders see whole (tg.function replays it at each call)
            return _context.effect(self._apply_flat, len(pairs), *[x for pair in pairs for x in pair])
        for pair in pairs:
            if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
                raise TypeError(
                    "apply_gradients takes (gradient, variable) pairs, e.g. "
                    f"opt.apply_gradients(zip(grads, variables)); got an element {type(pair).__name__}"
                )
        for _, var in pairs:
            if not isinstance(var, Variable):
                raise TypeError(
                    f"apply_gradients updates tg.Variable objects, got a {type(var).__name__}; "
                    "wrap trainable parameters in tg.Variable(...)"
                )
            if var.dtype.kind not in "fc":
                raise TypeError(
                    f"cannot apply gradients to variable '{var.name}' of dtype {var.dtype}: it is not floating "
                    "(nor complex); make trainable variables float or complex, e.g. tg.Variable(x, dtype=tg.float64)"
                )
        present = [(g, v) for g, v in pairs if g is not None]
        if pairs and not present:
            raise ValueError(
                f"no gradients provided for any variable ({', '.join(v.name for _, v in pairs)}); "
                "is the loss computed from them inside the tape?"
            )
        if len(present) < len(pairs):
            missing = ", ".join(v.name for g, v in pairs if g is None)
            warnings.warn(
                f"gradients do not exist for variables [{missing}] when minimizing the loss; they are not updated",
                stacklevel=2,
            )
        present = _computed(present)
        grads = [self._as_gradient(g, v) for g, v in present]
        variables = [v for _, v in present]
        for i, var in enumerate(variables):  # complex: each part a real parameter (PyTorch's view_as_real)
            if var.dtype.kind == "c":
                variables[i], grads[i] = self._real_view(var), _as_real(grads[i])
        grads = self._clip(grads)
        step = self.iterations  # Keras hands the schedule the step count before this update
        lr_value = self._learning_rate_value(step)
        for grad, var in zip(grads, variables, strict=True):
            dtype = var.dtype
            lr = dtype.type(lr_value)
            slots = self._slots(var)
            if self.weight_decay:  # decoupled weight decay, applied before the step (Keras)
                decay = var.snapshot()._value * dtype.type(self.weight_decay)
                decay *= lr  # (w * weight_decay) * lr, as Keras; `decay` is a fresh array (or a scalar)
                _assign_sub_owned(var, decay)
            self._update(var, grad, slots, lr)
        self.iterations += 1
        return self.iterations

    def _apply_flat(self, n: int, *flat: Any) -> int:
        return self.apply_gradients([(flat[2 * i], flat[2 * i + 1]) for i in range(n)])

    def minimize(self, loss: Callable[[], Any], var_list: Iterable[Variable]) -> Any:
        """Compute ``loss()`` on a tape, differentiate it with respect to ``var_list``, apply one step.

        ``loss`` is a zero-argument callable (as in Keras). Returns the loss value computed.
        """
        from tapegrad.tape import GradientTape

        if not callable(loss):
            raise TypeError("minimize(loss, var_list) needs `loss` to be a callable taking no arguments")
        var_list = list(var_list)
        with GradientTape() as tape:
            value = loss()
        grads = tape.gradient(value, var_list)
        self.apply_gradients(zip(grads, var_list, strict=True))
        return value

    def get_slot(self, variable: Variable, name: str) -> np.ndarray:
        """A copy of the optimizer state ``name`` (e.g. "momentum", "velocity") held for ``variable``."""
        view = self._views.get(id(variable))
        key = variable if view is None or view.variable is not variable else view
        entry = self._state.get(id(key))
        if entry is None or entry[0] is not key:
            raise KeyError(f"optimizer {self.name} holds no state for variable '{variable.name}' yet")
        if name not in entry[1]:
            raise KeyError(f"optimizer {self.name} has no slot {name!r}; it has {sorted(entry[1])}")
        slot = entry[1][name]
        return _as_complex(slot, variable.dtype) if key is view else slot.copy()

    @property
    def variables_with_state(self) -> list[Variable]:
        """The variables this optimizer holds state for, in the order first seen."""
        return [var.variable if isinstance(var, _RealView) else var for var, _ in self._state.values()]

    def current_learning_rate(self) -> float:
        """The learning rate the next ``apply_gradients`` will use."""
        return self._learning_rate_value(self.iterations)

    def get_config(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "learning_rate": self.learning_rate,
            "clipnorm": self.clipnorm,
            "clipvalue": self.clipvalue,
            "global_clipnorm": self.global_clipnorm,
            "weight_decay": self.weight_decay,
        }

    def __repr__(self) -> str:
        extras = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name" and v is not None)
        return f"tg.optimizers.{type(self).__name__}({extras})"

    # ---- machinery --------------------------------------------------------------------------
    def _update(self, variable: Variable, grad: np.ndarray, slots: dict[str, np.ndarray], lr: Any) -> None:
        raise NotImplementedError

    def _slot_init(self, name: str) -> float:
        return 0.0

    def _slots(self, variable: Variable) -> dict[str, np.ndarray]:
        entry = self._state.get(id(variable))
        if entry is None or entry[0] is not variable:
            shape, dtype = variable.shape, variable.dtype
            slots = {name: np.full(shape, self._slot_init(name), dtype=dtype) for name in self._slot_names}
            entry = self._state[id(variable)] = (variable, slots)
        return entry[1]

    def _real_view(self, variable: Variable) -> _RealView:
        view = self._views.get(id(variable))
        if view is None or view.variable is not variable:
            view = self._views[id(variable)] = _RealView(variable)
        return view

    def _learning_rate_value(self, step: int) -> float:
        lr = self.learning_rate
        if callable(lr):
            lr = lr(step) if _takes_an_argument(lr) else lr()  # a schedule of the step, or a thunk (Keras)
        return float(_raw(lr))

    @staticmethod
    def _as_gradient(grad: Any, variable: Variable) -> np.ndarray:
        g = np.asarray(_raw(grad))
        if g.shape != variable.shape:
            raise ValueError(
                f"gradient of shape {g.shape} does not match variable '{variable.name}' of shape {variable.shape}"
            )
        if g.dtype != variable.dtype:
            if g.dtype.kind == "c" and variable.dtype.kind != "c":
                raise TypeError(
                    f"gradient for variable '{variable.name}' is complex ({g.dtype}) but the variable is real "
                    f"({variable.dtype}); make the variable complex, or pass the gradient's real part if that is meant"
                )
            if g.dtype.kind not in "fiubc":
                raise TypeError(f"gradient for variable '{variable.name}' has non-numeric dtype {g.dtype}")
            g = g.astype(variable.dtype)
        return g

    def _clip(self, grads: list[np.ndarray]) -> list[np.ndarray]:
        if self.clipnorm is not None:
            return [_clip_by_norm(g, self.clipnorm) for g in grads]
        if self.global_clipnorm is not None:
            return _clip_by_global_norm(grads, self.global_clipnorm)
        if self.clipvalue is not None:
            return [np.clip(g, -g.dtype.type(self.clipvalue), g.dtype.type(self.clipvalue)) for g in grads]
        return grads


def _clip_by_norm(g: np.ndarray, clip_norm: float) -> np.ndarray:
    """``g * clip_norm / max(||g||, clip_norm)`` (tf.clip_by_norm); a zero gradient stays zero."""
    c = g.dtype.type(clip_norm)
    norm = np.sqrt(np.sum(np.square(g)))
    return g * c / np.maximum(norm, c)


def _clip_by_global_norm(grads: list[np.ndarray], clip_norm: float) -> list[np.ndarray]:
    """Scale every gradient by ``clip_norm / max(global_norm, clip_norm)`` (tf.clip_by_global_norm)."""
    if not grads:
        return grads
    total = math.sqrt(sum(float(np.sum(np.square(g.astype(np.float64)))) for g in grads))
    scale = clip_norm / max(total, clip_norm) if math.isfinite(total) else math.nan
    return [g * g.dtype.type(scale) for g in grads]


class SGD(Optimizer):
    """Gradient descent, optionally with (Nesterov) momentum (Keras's formulas).

    momentum == 0:  w = w - learning_rate * g
    momentum > 0:   velocity = momentum * velocity - learning_rate * g;  w = w + velocity
    nesterov:       velocity as above;  w = w + momentum * velocity - learning_rate * g
    """

    def __init__(
        self,
        learning_rate: LearningRate = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate, **kwargs)
        momentum = float(momentum)
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"`momentum` must be a float in [0, 1], got {momentum}")
        self.momentum = momentum
        self.nesterov = bool(nesterov)
        self._slot_names = ("momentum",) if momentum != 0 else ()

    def _update(self, variable: Variable, grad: np.ndarray, slots: dict[str, np.ndarray], lr: Any) -> None:
        step = grad * lr  # a fresh array: the update may write into it
        if self.momentum == 0:
            _assign_sub_owned(variable, step)
            return
        mu = grad.dtype.type(self.momentum)
        m = slots["momentum"]
        m *= mu
        m -= step
        if self.nesterov:
            ahead = m * mu
            ahead -= step
            _assign_add_owned(variable, ahead)
        else:
            variable.assign_add(m)  # copies: the slot keeps changing in place

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class Adam(Optimizer):
    """Adam (Kingma & Ba) in Keras's form, with step t = iterations + 1:

        alpha = learning_rate * sqrt(1 - beta_2**t) / (1 - beta_1**t)
        m = m + (g - m) * (1 - beta_1)
        v = v + (g**2 - v) * (1 - beta_2)
        (amsgrad: v_hat = max(v_hat, v), used instead of v)
        w = w - m * alpha / (sqrt(v) + epsilon)
    """

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate, **kwargs)
        for name, beta in (("beta_1", beta_1), ("beta_2", beta_2)):
            if not 0.0 <= float(beta) < 1.0:
                raise ValueError(f"`{name}` must be in [0, 1), got {beta}")
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = float(epsilon)
        self.amsgrad = bool(amsgrad)
        self._slot_names = ("momentum", "velocity", "velocity_hat") if amsgrad else ("momentum", "velocity")

    def _update(self, variable: Variable, grad: np.ndarray, slots: dict[str, np.ndarray], lr: Any) -> None:
        f = grad.dtype.type
        t = f(self.iterations + 1)
        beta_1, beta_2 = f(self.beta_1), f(self.beta_2)
        alpha = lr * np.sqrt(f(1) - np.power(beta_2, t)) / (f(1) - np.power(beta_1, t))
        m, v = slots["momentum"], slots["velocity"]
        m += (grad - m) * (f(1) - beta_1)
        v += (np.square(grad) - v) * (f(1) - beta_2)
        if self.amsgrad:
            v_hat = slots["velocity_hat"]
            np.maximum(v_hat, v, out=v_hat)
            v = v_hat
        step = m * alpha
        denominator = np.sqrt(v)
        denominator += f(self.epsilon)
        step /= denominator  # m * alpha / (sqrt(v) + epsilon)
        _assign_sub_owned(variable, step)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
            "amsgrad": self.amsgrad,
        }


class RMSprop(Optimizer):
    """RMSprop in Keras's form (epsilon inside the square root, plain momentum):

        velocity = rho * velocity + (1 - rho) * g**2
        centered: average_gradient = rho * average_gradient + (1 - rho) * g
                  denominator = velocity - average_gradient**2 + epsilon
        otherwise denominator = velocity + epsilon
        increment = learning_rate * g / sqrt(denominator)
        momentum > 0: mom = momentum * mom + increment;  w = w - mom
        otherwise     w = w - increment
    """

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-7,
        centered: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate, **kwargs)
        if not 0.0 <= float(rho) <= 1.0:
            raise ValueError(f"`rho` must be in [0, 1], got {rho}")
        if float(momentum) < 0:
            raise ValueError(f"`momentum` must be non-negative, got {momentum}")
        self.rho = float(rho)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.centered = bool(centered)
        names = ["velocity"]
        if self.momentum > 0:
            names.append("momentum")
        if self.centered:
            names.append("average_gradient")
        self._slot_names = tuple(names)

    def _update(self, variable: Variable, grad: np.ndarray, slots: dict[str, np.ndarray], lr: Any) -> None:
        f = grad.dtype.type
        rho = f(self.rho)
        velocity = slots["velocity"]
        velocity *= rho
        velocity += (f(1) - rho) * np.square(grad)
        if self.centered:
            avg = slots["average_gradient"]
            avg *= rho
            avg += (f(1) - rho) * grad
            denominator = velocity - np.square(avg) + f(self.epsilon)
        else:
            denominator = velocity + f(self.epsilon)
        increment = lr * grad / np.sqrt(denominator)
        if self.momentum > 0:
            mom = slots["momentum"]
            mom *= f(self.momentum)
            mom += increment
            variable.assign_sub(mom)  # copies: the slot keeps changing in place
        else:
            _assign_sub_owned(variable, increment)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "rho": self.rho,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "centered": self.centered,
        }


class Adagrad(Optimizer):
    """Adagrad in Keras's form:

        accumulator = accumulator + g**2          (starts at initial_accumulator_value)
        w = w - learning_rate * g / sqrt(accumulator + epsilon)
    """

    _slot_names = ("accumulator",)

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        initial_accumulator_value: float = 0.1,
        epsilon: float = 1e-7,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate, **kwargs)
        if float(initial_accumulator_value) < 0:
            raise ValueError(f"`initial_accumulator_value` must be non-negative, got {initial_accumulator_value}")
        self.initial_accumulator_value = float(initial_accumulator_value)
        self.epsilon = float(epsilon)

    def _slot_init(self, name: str) -> float:
        return self.initial_accumulator_value

    def _update(self, variable: Variable, grad: np.ndarray, slots: dict[str, np.ndarray], lr: Any) -> None:
        acc = slots["accumulator"]
        acc += np.square(grad)
        _assign_sub_owned(variable, lr * grad / np.sqrt(acc + grad.dtype.type(self.epsilon)))

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "initial_accumulator_value": self.initial_accumulator_value,
            "epsilon": self.epsilon,
        }
