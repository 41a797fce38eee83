"""A small Keras-like layer kit: Dense, Activation, Sequential, enough to train an MLP in ten lines.

    model = tg.nn.Sequential([tg.nn.Dense(32, activation="relu", seed=0), tg.nn.Dense(10, seed=1)])
    opt = tg.optimizers.Adam(0.01)
    for step in range(200):
        with tg.GradientTape() as tape:
            loss = tg.losses.sparse_softmax_cross_entropy(labels, model(x))
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))

Layers build lazily: a Dense layer creates its kernel (Glorot-uniform from a seeded NumPy
Generator) and bias (zeros) on its first call, from the input's last dimension. Weights have the
layer's dtype (``tg.default_float()``, float32 unless changed, or the ``dtype`` given); floating
inputs of another dtype are cast to it, as Keras does.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from tapegrad._dtypes import as_dtype, default_float
from tapegrad._tensor import Tensor, Variable, as_tensor, ops, wrap
from tapegrad.ops.activations import relu, sigmoid, softmax, softplus
from tapegrad.ops.elementwise import tanh

__all__ = [
    "Layer",
    "Dense",
    "Activation",
    "Sequential",
    "get_activation",
    "relu",
    "sigmoid",
    "tanh",
    "softmax",
    "softplus",
    "linear",
    "glorot_uniform",
]


# ---- activations (the rule table's ops; tanh'(x) etc. are declared there) ------------------------
def linear(x: Any) -> Any:
    """The identity (Keras's "linear" activation)."""
    return x


_ACTIVATIONS: dict[str, Callable[[Any], Any]] = {
    "relu": relu,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "softmax": softmax,
    "softplus": softplus,
    "linear": linear,
}


def get_activation(activation: str | Callable[[Any], Any] | None) -> Callable[[Any], Any]:
    """An activation function from its name ('relu', 'tanh', 'sigmoid', 'softmax', 'softplus',
    'linear'), a callable (returned as it is) or None (the identity)."""
    if activation is None:
        return linear
    if callable(activation):
        return activation
    if isinstance(activation, str):
        fn = _ACTIVATIONS.get(activation.lower())
        if fn is not None:
            return fn
    raise ValueError(f"unknown activation {activation!r}; use one of {sorted(_ACTIVATIONS)}, None, or a callable")


# ---- initializers ------------------------------------------------------------------------------
def glorot_uniform(shape: tuple[int, ...], rng: np.random.Generator, dtype: Any = None) -> np.ndarray:
    """Uniform on [-limit, limit] with limit = sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, Keras's default)."""
    fan_in, fan_out = (shape[-2], shape[-1]) if len(shape) >= 2 else (shape[0], shape[0])
    receptive = math.prod(shape[:-2]) if len(shape) > 2 else 1
    limit = math.sqrt(6.0 / ((fan_in + fan_out) * receptive))
    return rng.uniform(-limit, limit, size=shape).astype(default_float() if dtype is None else as_dtype(dtype))


# ---- layers -----------------------------------------------------------------------------------
class Layer:
    """Base class: a callable holding Variables. Subclasses set ``_weights`` and define ``call``."""

    def __init__(self, name: str | None = None) -> None:
        self.name = name or type(self).__name__.lower()
        self._weights: list[Variable] = []

    @property
    def variables(self) -> list[Variable]:
        return list(self._weights)

    @property
    def trainable_variables(self) -> list[Variable]:
        return [v for v in self._weights if v.trainable]

    @property
    def built(self) -> bool:
        return True

    def call(self, x: Any) -> Any:
        raise NotImplementedError

    def __call__(self, x: Any) -> Any:
        return self.call(x)


class Activation(Layer):
    """A layer applying an activation function (by name or callable)."""

    def __init__(self, activation: str | Callable[[Any], Any] | None, name: str | None = None) -> None:
        super().__init__(name)
        self.activation = get_activation(activation)

    def call(self, x: Any) -> Any:
        return self.activation(x)


class Dense(Layer):
    """``activation(x @ kernel + bias)``; ``kernel`` has shape (input_dim, units).

    The weights are created on the first call, from the input's last dimension: the kernel
    Glorot-uniform from ``np.random.default_rng(seed)``, the bias zeros. Give ``seed`` for
    reproducible initial weights (``None`` draws fresh entropy).
    """

    def __init__(
        self,
        units: int,
        activation: str | Callable[[Any], Any] | None = None,
        use_bias: bool = True,
        seed: int | np.random.Generator | None = None,
        dtype: Any = None,
        input_dim: int | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(name)
        units_int = int(units)
        if units_int != units or units_int <= 0:
            raise ValueError(f"Dense: units must be a positive integer, got {units!r}")
        self.units = units_int
        self.activation = get_activation(activation)
        self.use_bias = bool(use_bias)
        self.seed = seed
        self.dtype = default_float() if dtype is None else as_dtype(dtype)
        if self.dtype.kind != "f":
            raise ValueError(f"Dense: dtype must be floating, got {self.dtype}")
        self.kernel: Variable | None = None
        self.bias: Variable | None = None
        if input_dim is not None:
            self.build(int(input_dim))

    @property
    def built(self) -> bool:
        return self.kernel is not None

    def build(self, input_dim: int) -> None:
        """Create the kernel (input_dim, units) and the bias (units,)."""
        rng = self.seed if isinstance(self.seed, np.random.Generator) else np.random.default_rng(self.seed)
        self.kernel = Variable(glorot_uniform((input_dim, self.units), rng, self.dtype), name=f"{self.name}/kernel")
        self._weights = [self.kernel]
        if self.use_bias:
            self.bias = Variable(np.zeros(self.units, dtype=self.dtype), name=f"{self.name}/bias")
            self._weights.append(self.bias)

    def call(self, x: Any) -> Tensor:
        if isinstance(x, Tensor):
            x = as_tensor(x)
            if x.dtype != self.dtype:
                x = ops.cast(x, self.dtype)
        else:
            raw = np.asarray(x)
            if raw.dtype.kind not in "fiub":
                raise TypeError(f"Dense: input must be numeric, got dtype {raw.dtype}")
            x = wrap(raw.astype(self.dtype))
        if x.ndim < 1:
            raise ValueError(f"Dense: input needs at least one axis (features last), got shape {x.shape}")
        if self.kernel is None:
            self.build(x.shape[-1])
        assert self.kernel is not None
        if x.shape[-1] != self.kernel.shape[0]:
            raise ValueError(
                f"Dense layer '{self.name}' was built for inputs with {self.kernel.shape[0]} features "
                f"(last axis), got shape {x.shape}"
            )
        y = ops.matmul(x, self.kernel)  # (..., input_dim) @ (input_dim, units); a 1-D x gives (units,)
        if self.bias is not None:
            y = y + self.bias
        return self.activation(y)

    def __repr__(self) -> str:
        return f"Dense(units={self.units}, activation={getattr(self.activation, '__name__', self.activation)})"


class Sequential(Layer):
    """Layers applied one after another. Entries may be layers, callables or activation names."""

    def __init__(self, layers: Iterable[Any] | None = None, name: str | None = None) -> None:
        super().__init__(name)
        self.layers: list[Any] = []
        for layer in layers or ():
            self.add(layer)

    def add(self, layer: Any) -> None:
        if isinstance(layer, str):
            layer = Activation(layer)
        if not callable(layer):
            raise TypeError(f"Sequential takes layers or callables, got {type(layer).__name__}")
        self.layers.append(layer)

    def call(self, x: Any) -> Any:
        for layer in self.layers:
            x = layer(x)
        return x

    def _collect(self, attr: str) -> list[Variable]:
        seen: set[int] = set()
        out: list[Variable] = []
        for layer in self.layers:
            for v in getattr(layer, attr, ()):
                if id(v) not in seen:
                    seen.add(id(v))
                    out.append(v)
        return out

    @property
    def variables(self) -> list[Variable]:
        return self._collect("variables")

    @property
    def trainable_variables(self) -> list[Variable]:
        """Every layer's trainable Variables (empty until the first call builds the layers)."""
        return self._collect("trainable_variables")

    @property
    def built(self) -> bool:
        return all(getattr(layer, "built", True) for layer in self.layers)

    def __repr__(self) -> str:
        return f"Sequential({self.layers!r})"
