"""An example for every public name whose docstring has none: run when the API reference is built.

Kept here rather than in the ops' docstrings so the rule table's source stays compact; the API
pages show each example with the output it printed at build time (``docs/scripts/api_pages.py``),
and an example that raises fails ``mkdocs build --strict``.
"""

from __future__ import annotations

# Unary elementwise ops: the value and the derivative at a point of the domain.
_UNARY_AT = {
    "abs": "-0.5", "arccos": "0.5", "arccosh": "1.5", "arcsin": "0.5", "arcsinh": "0.5", "arctan": "0.5",
    "arctanh": "0.5", "cbrt": "8.0", "ceil": "0.5", "cos": "0.5", "cosh": "0.5", "exp": "0.5", "exp2": "0.5",
    "expm1": "0.5", "floor": "0.5", "log": "0.5", "log10": "0.5", "log1p": "0.5", "log2": "0.5",
    "reciprocal": "0.5", "sign": "-0.5", "sin": "0.5", "sinh": "0.5", "sqrt": "0.25", "square": "0.5",
    "tan": "0.5", "tanh": "0.5", "negative": "0.5", "round": "0.4",
    "relu": "0.5", "relu6": "0.5", "sigmoid": "0.5", "softplus": "0.5", "softsign": "0.5", "selu": "-0.5",
    "elu": "-0.5", "leaky_relu": "-0.5", "gelu": "0.5", "silu": "0.5", "swish": "0.5", "log_sigmoid": "0.5",
}
# Binary elementwise ops: the value and both partial derivatives.
_BINARY_AT = {
    "add": ("2.0", "3.0"), "subtract": ("2.0", "3.0"), "multiply": ("2.0", "3.0"), "divide": ("2.0", "4.0"),
    "power": ("2.0", "3.0"), "arctan2": ("1.0", "2.0"), "hypot": ("3.0", "4.0"), "logaddexp": ("0.0", "1.0"),
    "maximum": ("2.0", "3.0"), "minimum": ("2.0", "3.0"), "mod": ("7.0", "3.0"), "floor_divide": ("7.0", "2.0"),
}
_COMPARE = ("equal", "not_equal", "greater", "greater_equal", "less", "less_equal")
_LOGICAL = ("logical_and", "logical_or", "logical_xor")
_PREDICATE = ("isnan", "isinf", "isfinite", "is_nan", "is_inf", "is_finite")
_REDUCE = (
    "sum", "mean", "prod", "max", "min", "logsumexp", "reduce_sum", "reduce_mean", "reduce_prod", "reduce_max",
    "reduce_min", "reduce_logsumexp", "reduce_std", "reduce_variance", "reduce_euclidean_norm",
)

EXAMPLES: dict[str, str] = {}
for _name, _x in _UNARY_AT.items():
    EXAMPLES[_name] = f"x = tg.constant({_x}, dtype=tg.float64)\nprint(tg.{_name}(x).numpy(), tg.grad(tg.{_name})(x).numpy())"
for _name, (_a, _b) in _BINARY_AT.items():
    EXAMPLES[_name] = (
        f"a, b = tg.constant({_a}, dtype=tg.float64), tg.constant({_b}, dtype=tg.float64)\n"
        f"print(tg.{_name}(a, b).numpy(), [float(g) for g in tg.grad(tg.{_name}, argnums=(0, 1))(a, b)])"
    )
for _name in _COMPARE:
    EXAMPLES[_name] = f"print(tg.{_name}(tg.constant([1.0, 2.0, 3.0]), 2.0).numpy())"
for _name in _LOGICAL:
    EXAMPLES[_name] = f"print(tg.{_name}(tg.constant([True, True, False]), tg.constant([True, False, False])).numpy())"
for _name in _PREDICATE:
    EXAMPLES[_name] = f"print(tg.{_name}(tg.constant([1.0, np.nan, np.inf])).numpy())"
for _name in _REDUCE:
    EXAMPLES[_name] = (
        "x = tg.constant([[1.0, 2.0], [3.0, 4.0]], dtype=tg.float64)\n"
        f"print(tg.{_name}(x, axis=0).numpy())\n"
        f"print(tg.grad(lambda x: tg.{_name}(x))(x).numpy())"
    )
for _name in ("var", "std"):
    EXAMPLES[_name] = (
        "x = tg.constant([1.0, 2.0, 4.0], dtype=tg.float64)\n"
        f"print(tg.{_name}(x).numpy(), tg.grad(tg.{_name})(x).numpy())"
    )
for _name in ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool", "bool_"):
    EXAMPLES[_name] = f"print(tg.constant([1, 0], dtype=tg.{_name}))"

EXAMPLES.update({
    # --- tensors, tapes, modes
    "Tensor": "x = tg.constant([1.0, 2.0])\nprint(x.shape, x.dtype, x.numpy())\nprint((x * 2 + 1).numpy())",
    "Variable": "v = tg.Variable(2.0, name='v')\nwith tg.GradientTape() as tape:  # Variables are watched when read\n"
                "    y = v ** 3\nprint(tape.gradient(y, v).numpy())\nv.assign_sub(0.5)\nprint(v.numpy())",
    "GradientTape": "x = tg.constant(3.0)\nwith tg.GradientTape() as tape:\n    tape.watch(x)\n    y = x ** 2\n"
                    "print(tape.gradient(y, x).numpy())",
    "ForwardAccumulator": "x = tg.constant(3.0)\nwith tg.ForwardAccumulator(primals=x, tangents=tg.constant(1.0)) as acc:\n"
                          "    y = x ** 2\nprint(acc.jvp(y).numpy())  # dy/dx in one forward pass",
    "UnconnectedGradients": "x, y = tg.Variable(1.0), tg.Variable(2.0)\nwith tg.GradientTape(persistent=True) as tape:\n    z = x * 3\n"
                            "print(tape.gradient(z, y), tape.gradient(z, y, unconnected_gradients=tg.UnconnectedGradients.ZERO))",
    "TapeGraph": "x = tg.constant(2.0, dtype=tg.float64)\nwith tg.GradientTape() as tape:\n    tape.watch(x)\n    y = tg.sin(x) * x\n"
                 "g = tape.graph(y, {'x': x})\nprint(g)\nprint([(n.name, round(float(n.adjoint), 4)) for n in g.nodes if n.kind != 'constant'])",
    "tape_graph": "x = tg.constant(2.0, dtype=tg.float64)\nwith tg.GradientTape() as tape:\n    tape.watch(x)\n    y = x * x + 1\n"
                  "print(tg.tape_graph(tape, y, {'x': x}).to_dot().splitlines()[0])",
    "explain_gradient": "x = tg.constant(2.0)\nwith tg.GradientTape() as tape:\n    y = x * 3  # x was never watched\n"
                        "print(tg.explain_gradient(tape, y, x).splitlines()[0])",
    "Primitive": "cube = tg.primitive(lambda x: x ** 3, name='cube')\ntg.defvjp(cube, lambda g, ans, x: g * 3 * x ** 2)\n"
                 "print(type(cube).__name__, tg.grad(cube)(2.0).numpy())",
    "enable_eager_execution": "tg.enable_eager_execution()  # does nothing: tapegrad is always eager\nprint(tg.executing_eagerly())",
    "executing_eagerly": "print(tg.executing_eagerly())",
    "contrib": "tfe = tg.contrib.eager\nprint(tfe.gradients_function(lambda x: x * x)(3.0)[0].numpy())",
    # --- transforms
    "value_and_grad": "print(tg.value_and_grad(lambda x: x ** 3)(2.0))",
    "value_and_gradients_function": "value, grads = tg.value_and_gradients_function(lambda x, y: x * y)(2.0, 3.0)\n"
                                    "print(value.numpy(), [g.numpy() for g in grads])",
    "vjp": "y, pullback = tg.vjp(lambda x: x ** 2, tg.constant([1.0, 2.0]))\nprint(y.numpy(), pullback(tg.constant([1.0, 1.0])))",
    "jacobian": "f = lambda x: tg.stack([x[0] * x[1], tg.sin(x[0])])\nprint(tg.jacobian(f)(tg.constant([1.0, 2.0], dtype=tg.float64)).numpy())",
    "jacfwd": "f = lambda x: x ** 2\nprint(tg.jacfwd(f)(tg.constant([1.0, 2.0])).numpy())",
    "jacrev": "f = lambda x: x ** 2\nprint(tg.jacrev(f)(tg.constant([1.0, 2.0])).numpy())",
    "hvp": "f = lambda x: tg.reduce_sum(x ** 3)\nprint(tg.hvp(f, [tg.constant([1.0, 2.0])], [tg.constant([1.0, 0.0])]))",
    "stop_gradient": "print(tg.grad(lambda x: x * tg.stop_gradient(x))(3.0).numpy())  # d/dx of x * const",
    "check_grads": "tg.check_grads(lambda x: tg.sin(x) * x, tg.constant(0.5, dtype=tg.float64), order=2)\nprint('ok')",
    "numerical_gradient": "print(tg.numerical_gradient(lambda x: x ** 3, tg.constant(2.0, dtype=tg.float64)))",
    # --- custom derivatives
    "primitive": "@tg.primitive\ndef cube(x):\n    return x ** 3\ntg.defvjp(cube, lambda g, ans, x: g * 3 * x ** 2)\n"
                 "print(tg.grad(cube)(2.0).numpy())",
    "defvjp": "cube = tg.primitive(lambda x: x ** 3, name='cube')\ntg.defvjp(cube, lambda g, ans, x: g * 3 * x ** 2)\n"
              "print(tg.grad(cube)(2.0).numpy())",
    "defjvp": "cube = tg.primitive(lambda x: x ** 3, name='cube')\ntg.defjvp(cube, lambda t, ans, x: t * 3 * x ** 2)\n"
              "print(tg.jvp(cube, [tg.constant(2.0)], [tg.constant(1.0)])[1].numpy())",
    "defrule": "cube = tg.defrule(lambda x: x ** 3, [lambda g, ans, x: g * 3 * x ** 2], name='cube')\n"
               "print(tg.grad(cube)(2.0).numpy())",
    "unbroadcast": "g = tg.ones((3, 2))\nprint(tg.unbroadcast(g, tg.ones((2,))).numpy())  # summed over the broadcast axis",
    # --- creation
    "constant": "print(tg.constant([1, 2]), tg.constant(1.5))",
    "convert_to_tensor": "print(tg.convert_to_tensor(np.arange(3.0)))",
    "zeros": "print(tg.zeros((2, 2)).numpy())",
    "ones": "print(tg.ones((2,), dtype=tg.float64).numpy())",
    "zeros_like": "print(tg.zeros_like(tg.constant([1.0, 2.0])).numpy())",
    "ones_like": "print(tg.ones_like(tg.constant([1.0, 2.0])).numpy())",
    "full": "print(tg.full((2,), 7.0).numpy())",
    "full_like": "print(tg.full_like(tg.constant([1.0, 2.0]), 7.0).numpy())",
    "fill": "print(tg.fill((2,), 7.0).numpy())",
    "eye": "print(tg.eye(2).numpy())",
    "arange": "print(tg.arange(4).numpy(), tg.arange(0.0, 1.0, 0.25).numpy())",
    "linspace": "print(tg.linspace(0.0, 1.0, 5).numpy())",
    "lin_space": "print(tg.lin_space(0.0, 1.0, 5).numpy())",
    "random_normal": "np.random.seed(0)\nprint(tg.random_normal((3,)).shape)",
    "random_uniform": "np.random.seed(0)\nx = tg.random_uniform((3,))\nprint(x.shape, bool(tg.reduce_all((x >= 0) & (x < 1))))",
    "cast": "print(tg.cast(tg.constant([1.7, -1.7]), tg.int32).numpy())",
    "default_float": "print(tg.default_float())",
    "set_default_float": "tg.set_default_float(tg.float64)\nprint(tg.constant(1.0).dtype)\ntg.set_default_float(tg.float32)\n"
                         "print(tg.constant(1.0).dtype)",
    # --- shapes and indexing
    "reshape": "x = tg.constant([1.0, 2.0, 3.0, 4.0])\nprint(tg.reshape(x, (2, 2)).numpy())",
    "ravel": "print(tg.ravel(tg.ones((2, 2))).numpy())",
    "flatten": "print(tg.flatten(tg.ones((2, 2))).numpy())",
    "expand_dims": "print(tg.expand_dims(tg.constant([1.0, 2.0]), 0).shape)",
    "squeeze": "print(tg.squeeze(tg.ones((1, 2, 1))).shape)",
    "transpose": "print(tg.transpose(tg.constant([[1.0, 2.0], [3.0, 4.0]])).numpy())",
    "matrix_transpose": "print(tg.matrix_transpose(tg.ones((5, 2, 3))).shape)",
    "swapaxes": "print(tg.swapaxes(tg.ones((2, 3, 4)), 0, 2).shape)",
    "moveaxis": "print(tg.moveaxis(tg.ones((2, 3, 4)), 0, -1).shape)",
    "broadcast_to": "print(tg.broadcast_to(tg.constant([1.0, 2.0]), (2, 2)).numpy())",
    "broadcast_arrays": "print([t.shape for t in tg.broadcast_arrays(tg.ones((2, 1)), tg.ones((3,)))])",
    "concat": "print(tg.concat([tg.ones((1, 2)), tg.zeros((1, 2))], axis=0).numpy())",
    "concatenate": "print(tg.concatenate([tg.ones(2), tg.zeros(1)]).numpy())",
    "stack": "print(tg.stack([tg.constant(1.0), tg.constant(2.0)]).numpy())",
    "hstack": "print(tg.hstack([tg.ones(2), tg.zeros(1)]).numpy())",
    "vstack": "print(tg.vstack([tg.ones(2), tg.zeros(2)]).numpy())",
    "unstack": "print([t.numpy() for t in tg.unstack(tg.constant([[1.0, 2.0], [3.0, 4.0]]))])",
    "split": "print([t.numpy() for t in tg.split(tg.arange(4.0), 2)])",
    "array_split": "print([t.numpy() for t in tg.array_split(tg.arange(5.0), 2)])",
    "tile": "print(tg.tile(tg.constant([1.0, 2.0]), [2]).numpy())",
    "repeat": "print(tg.repeat(tg.constant([1.0, 2.0]), 2).numpy())",
    "pad": "print(tg.pad(tg.constant([1.0, 2.0]), [[1, 1]]).numpy())",
    "flip": "print(tg.flip(tg.constant([1.0, 2.0, 3.0])).numpy())",
    "reverse": "print(tg.reverse(tg.constant([[1.0, 2.0]]), axis=[1]).numpy())",
    "getitem": "x = tg.constant([1.0, 2.0, 3.0])\nprint(tg.getitem(x, slice(1, None)).numpy(), x[::-1].numpy())",
    "gather": "print(tg.gather(tg.constant([10.0, 20.0, 30.0]), [2, 0]).numpy())",
    "take": "print(tg.take(tg.constant([10.0, 20.0, 30.0]), [2, 0]).numpy())",
    "boolean_mask": "print(tg.boolean_mask(tg.constant([1.0, 2.0, 3.0]), [True, False, True]).numpy())",
    "where": "x = tg.constant([-1.0, 2.0])\nprint(tg.where(x > 0, x, 0.0).numpy(), tg.grad(lambda x: tg.reduce_sum(tg.where(x > 0, x, 0.0)))(x).numpy())",
    "clip": "x = tg.constant([-2.0, 0.5, 2.0])\nprint(tg.clip(x, -1.0, 1.0).numpy(), tg.grad(lambda x: tg.reduce_sum(tg.clip(x, -1.0, 1.0)))(x).numpy())",
    "scatter_add": "print(tg.scatter_add(tg.constant([1.0, 2.0, 3.0]), index=np.array([0, 0, 2]), shape=(3,)).numpy())",
    "diag": "print(tg.diag(tg.constant([1.0, 2.0])).numpy())",
    "trace": "print(tg.trace(tg.constant([[1.0, 2.0], [3.0, 4.0]])).numpy())",
    "tril": "print(tg.tril(tg.ones((2, 2))).numpy())",
    "triu": "print(tg.triu(tg.ones((2, 2))).numpy())",
    # --- searching
    "argmax": "print(tg.argmax(tg.constant([1.0, 3.0, 2.0])).numpy())",
    "argmin": "print(tg.argmin(tg.constant([1.0, 3.0, 2.0])).numpy())",
    "argsort": "print(tg.argsort(tg.constant([1.0, 3.0, 2.0])).numpy())",
    "argwhere": "print(tg.argwhere(tg.constant([0.0, 3.0, 2.0])).numpy())",
    "nonzero": "print([t.numpy() for t in tg.nonzero(tg.constant([0.0, 3.0, 2.0]))])",
    "count_nonzero": "print(tg.count_nonzero(tg.constant([0.0, 3.0, 2.0])).numpy())",
    "reduce_all": "print(tg.reduce_all(tg.constant([True, False])).numpy())",
    "reduce_any": "print(tg.reduce_any(tg.constant([True, False])).numpy())",
    "isclose": "print(tg.isclose(tg.constant([1.0, 2.0]), tg.constant([1.0, 2.1])).numpy())",
    "logical_not": "print(tg.logical_not(tg.constant([True, False])).numpy())",
    "cumsum": "x = tg.constant([1.0, 2.0, 3.0])\nprint(tg.cumsum(x).numpy(), tg.grad(lambda x: tg.reduce_sum(tg.cumsum(x)))(x).numpy())",
    "cumprod": "x = tg.constant([1.0, 2.0, 3.0])\nprint(tg.cumprod(x).numpy(), tg.grad(lambda x: tg.reduce_sum(tg.cumprod(x)))(x).numpy())",
    # --- linear algebra
    "matmul": "a = tg.constant([[1.0, 2.0]])\nb = tg.constant([[3.0], [4.0]])\nprint(tg.matmul(a, b).numpy(), tg.grad(lambda a: tg.reduce_sum(a @ b))(a).numpy())",
    "dot": "print(tg.dot(tg.constant([1.0, 2.0]), tg.constant([3.0, 4.0])).numpy())",
    "vdot": "print(tg.vdot(tg.constant([1.0, 2.0]), tg.constant([3.0, 4.0])).numpy())",
    "inner": "print(tg.inner(tg.constant([1.0, 2.0]), tg.constant([3.0, 4.0])).numpy())",
    "outer": "print(tg.outer(tg.constant([1.0, 2.0]), tg.constant([3.0, 4.0])).numpy())",
    "tensordot": "print(tg.tensordot(tg.ones((2, 3)), tg.ones((3, 4)), axes=1).shape)",
    "einsum": "a = tg.constant([[1.0, 2.0], [3.0, 4.0]])\nprint(tg.einsum('ij,ij->', a, a).numpy(), tg.grad(lambda a: tg.einsum('ii->', a))(a).numpy())",
    "norm": "x = tg.constant([3.0, 4.0])\nprint(tg.norm(x).numpy(), tg.grad(tg.norm)(x).numpy())",
    "softmax": "print(tg.softmax(tg.constant([0.0, 1.0])).numpy())",
    "log_softmax": "print(tg.log_softmax(tg.constant([0.0, 1.0])).numpy())",
    "linalg": "a = tg.constant([[2.0, 0.0], [0.0, 4.0]], dtype=tg.float64)\nprint(tg.linalg.inv(a).numpy(), tg.grad(tg.linalg.det)(a).numpy())",
    # --- training
    "optimizers": "v = tg.Variable(3.0)\nopt = tg.optimizers.SGD(learning_rate=0.1)\nfor _ in range(50):\n"
                  "    with tg.GradientTape() as tape:\n        loss = (v - 1.0) ** 2\n"
                  "    opt.apply_gradients([(tape.gradient(loss, v), v)])\nprint(round(float(v.numpy()), 4))",
    "losses": "print(tg.losses.mean_squared_error(tg.constant([1.0, 2.0]), tg.constant([1.5, 2.0])).numpy())",
    "nn": "np.random.seed(0)\nlayer = tg.nn.Dense(2, 3)\nprint(layer(tg.ones((4, 2))).shape, len(layer.trainable_variables))",
})

# Names other branches add (used once they are public; tests/test_docs.py runs each one that is).
EXAMPLES.update({
    # complex parts (tapegrad.numpy)
    "complex": "z = tg.complex(tg.constant(3.0, dtype=tg.float64), tg.constant(4.0, dtype=tg.float64))\nprint(z.numpy())\n# the gradient of a real loss of z = x + iy is dL/dx + i dL/dy (TensorFlow's convention): |z|^2 gives 2z\ng = tg.grad(lambda z: tg.real(z * tg.conj(z)))(z)\nprint(g.numpy())\nassert g.numpy() == 2 * z.numpy()  # 6+8j; JAX's convention would give the conjugate, 6-8j",
    "real": "z = tg.complex(tg.constant([1.0, 2.0], dtype=tg.float64), tg.constant([3.0, 4.0], dtype=tg.float64))\nprint(tg.real(z).numpy(), tg.grad(lambda z: tg.reduce_sum(tg.real(z)))(z).numpy())",
    "imag": "z = tg.complex(tg.constant([1.0, 2.0], dtype=tg.float64), tg.constant([3.0, 4.0], dtype=tg.float64))\nprint(tg.imag(z).numpy(), tg.grad(lambda z: tg.reduce_sum(tg.imag(z)))(z).numpy())",
    "conj": "z = tg.complex(tg.constant(1.0, dtype=tg.float64), tg.constant(2.0, dtype=tg.float64))\nprint(tg.conj(z).numpy())",
    "angle": "z = tg.complex(tg.constant(1.0, dtype=tg.float64), tg.constant(1.0, dtype=tg.float64))\nprint(tg.angle(z).numpy(), tg.angle(z, deg=True).numpy())",
    # tg.function
    "function": "@tg.function\ndef f(x):\n    return x * x + 1.0\n\nx = tg.constant(3.0)\nprint(f(x).numpy(), tg.grad(f)(x).numpy())",
    "Function": "f = tg.function(lambda x: tg.sin(x) * x)\nprint(type(f).__name__, round(float(f(tg.constant(1.0))), 6))",
    # Taylor mode
    "derivatives": "x = tg.constant(0.0, dtype=tg.float64)\nprint([round(float(d), 6) for d in tg.derivatives(tg.sin, x, 4)])  # cos, -sin, -cos, sin at 0",
    "derivative_tensors": "f = lambda v: v[0] ** 2 * v[1]\nvalue, gradient, hessian = tg.derivative_tensors(f, tg.constant([1.0, 2.0], dtype=tg.float64), 2)\nprint(float(value), gradient.numpy(), hessian.numpy().tolist())",
    "taylor_series": "x = tg.constant(0.0, dtype=tg.float64)\ny, series = tg.taylor_series(tg.exp, [x], [[tg.constant(1.0, dtype=tg.float64)]], order=3)\nprint(float(y), [round(float(s), 6) for s in series])",
    # backends
    "compute": "a, b = tg.compute(tg.constant([1.0, 2.0]), tg.constant(3.0) * 2)\nprint(a, b)",
    # safety
    "xlogy": "x = tg.constant([0.0, 2.0], dtype=tg.float64)\nprint(tg.xlogy(x, 3.0).numpy(), tg.grad(lambda x: tg.reduce_sum(tg.xlogy(x, x)))(x).numpy())",
    "xlog1py": "x = tg.constant([0.0, 2.0], dtype=tg.float64)\nprint(tg.xlog1py(x, 3.0).numpy(), tg.grad(lambda x: tg.reduce_sum(tg.xlog1py(x, x)))(x).numpy())",
    "tensor_scatter_nd_add": "print(tg.tensor_scatter_nd_add(tg.zeros(4), [[1], [1], [3]], tg.constant([1.0, 2.0, 3.0])).numpy())",
})
