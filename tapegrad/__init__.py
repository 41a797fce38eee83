"""tapegrad: exact derivatives of NumPy code, with TensorFlow's gradient-tape API.

    import tapegrad as tg
    x = tg.constant(3.0)
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = x ** 2
    tape.gradient(y, x)  # 6.0
"""

from tapegrad import linalg, losses, nn, optimizers  # noqa: E402  (submodules: tg.linalg.inv, tg.optimizers.Adam)
from tapegrad import ops as _ops  # registers the rule table  # noqa: F401
from tapegrad._dispatch import compute  # backends (issue 13): tg.compute
from tapegrad._dtypes import (
    bool_,
    default_float,
    float16,
    float32,
    float64,
    int8,
    int16,
    int32,
    int64,
    set_default_float,
    uint8,
)
from tapegrad._function import (  # tg.function
    Function,
    FunctionWarning,
    function,
    print,  # noqa: A004  (tg.print, tf.print: replayed by compiled calls)
)
from tapegrad._tensor import Tensor, Variable
from tapegrad.backward import UnconnectedGradients
from tapegrad.checking import check_grads, numerical_gradient
from tapegrad.custom import (
    Primitive,
    custom_gradient,
    defjvp,
    defrule,
    defvjp,
    elementwise,
    primitive,
    recompute_grad,
    unbroadcast,
)
from tapegrad.explain import explain_gradient
from tapegrad.forward import ForwardAccumulator
from tapegrad.graph import TapeGraph, tape_graph
from tapegrad.ops import array_api as _array_api  # noqa: F401  (backends: the rows' array-API forwards)
from tapegrad.ops.activations import *  # noqa: F403
from tapegrad.ops.comparison import *  # noqa: F403
from tapegrad.ops.complex import *  # noqa: F403  (complex: tapegrad.numpy's block)
from tapegrad.ops.creation import *  # noqa: F403
from tapegrad.ops.elementwise import *  # noqa: F403
from tapegrad.ops.linalg import *  # noqa: F403
from tapegrad.ops.reduce import *  # noqa: F403
from tapegrad.ops.shape import *  # noqa: F403
from tapegrad.tape import GradientTape
from tapegrad.taylor import TaylorAccumulator, derivative_tensors, derivatives, taylor_series  # Taylor mode
from tapegrad.transforms import (
    grad,
    gradients_function,
    hessian,
    hvp,
    jacfwd,
    jacobian,
    jacrev,
    jvp,
    stop_gradient,
    value_and_grad,
    value_and_gradients_function,
    vjp,
)

bool = bool_  # noqa: A001  (tg.bool, as tf.bool)

# --- TensorFlow 1.x eager prelude (issue 16): `tf.enable_eager_execution()`, `tfe = tf.contrib.eager`
from tapegrad import contrib  # noqa: E402
from tapegrad.contrib.eager import executing_eagerly  # noqa: E402


def enable_eager_execution(*args: object, **kwargs: object) -> None:
    """Do nothing: tapegrad is always eager, every op runs when called (TensorFlow 1.x needed this call).

    Accepts and ignores TensorFlow's arguments (``config``, ``device_policy``, ...), so the first
    lines of a TF 1.x eager program run unchanged with ``import tapegrad as tf``.

        >>> import tapegrad as tg
        >>> tg.enable_eager_execution()
        >>> tg.executing_eagerly()
        True
    """

__version__ = "0.1.0"

__all__ = [
    # Taylor mode
    "TaylorAccumulator",
    "derivative_tensors",
    "derivatives",
    "taylor_series",
    # tg.function (issue 12)
    "Function",
    "FunctionWarning",
    "function",
    "print",
    # TensorFlow 1.x eager prelude (issue 16)
    "contrib",
    "enable_eager_execution",
    "executing_eagerly",
    # tapegrad.numpy's block: tf.complex (the namespace itself is imported as tapegrad.numpy)
    "complex",
    "TapeGraph",
    "explain_gradient",
    "tape_graph",
    "ForwardAccumulator",
    "GradientTape",
    "Primitive",
    "Tensor",
    "UnconnectedGradients",
    "Variable",
    "abs",
    "add",
    "arange",
    "arccos",
    "arccosh",
    "arcsin",
    "arcsinh",
    "arctan",
    "arctan2",
    "arctanh",
    "argmax",
    "argmin",
    "argsort",
    "argwhere",
    "array_split",
    "bool",
    "bool_",
    "boolean_mask",
    "broadcast_arrays",
    "broadcast_to",
    "cast",
    "cbrt",
    "ceil",
    "check_grads",
    "clip",
    "concat",
    "concatenate",
    "constant",
    "convert_to_tensor",
    "cos",
    "cosh",
    "count_nonzero",
    "cumprod",
    "cumsum",
    "custom_gradient",
    "default_float",
    "defjvp",
    "defrule",
    "defvjp",
    "diag",
    "divide",
    "dot",
    "einsum",
    "elementwise",
    "elu",
    "equal",
    "exp",
    "exp2",
    "expand_dims",
    "expm1",
    "eye",
    "fill",
    "flatten",
    "flip",
    "float16",
    "float32",
    "float64",
    "floor",
    "floor_divide",
    "full",
    "full_like",
    "gather",
    "gelu",
    "getitem",
    "grad",
    "gradients_function",
    "greater",
    "greater_equal",
    "hessian",
    "hstack",
    "hvp",
    "hypot",
    "inner",
    "int16",
    "int32",
    "int64",
    "int8",
    "is_finite",
    "is_inf",
    "is_nan",
    "isclose",
    "isfinite",
    "isinf",
    "isnan",
    "jacfwd",
    "jacobian",
    "jacrev",
    "jvp",
    "leaky_relu",
    "less",
    "less_equal",
    "lin_space",
    "linalg",
    "linspace",
    "log",
    "log10",
    "log1p",
    "log2",
    "log_sigmoid",
    "log_softmax",
    "logaddexp",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "logsumexp",
    "losses",
    "matmul",
    "matrix_transpose",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "mod",
    "moveaxis",
    "multiply",
    "negative",
    "nn",
    "nonzero",
    "norm",
    "not_equal",
    "numerical_gradient",
    "ones",
    "ones_like",
    "optimizers",
    "outer",
    "pad",
    "power",
    "primitive",
    "prod",
    "random_normal",
    "random_uniform",
    "ravel",
    "reciprocal",
    "recompute_grad",
    "reduce_all",
    "reduce_any",
    "reduce_euclidean_norm",
    "reduce_logsumexp",
    "reduce_max",
    "reduce_mean",
    "reduce_min",
    "reduce_prod",
    "reduce_std",
    "reduce_sum",
    "reduce_variance",
    "relu",
    "relu6",
    "repeat",
    "reshape",
    "reverse",
    "round",
    "scatter_add",
    "selu",
    "set_default_float",
    "sigmoid",
    "sign",
    "silu",
    "sin",
    "sinh",
    "softmax",
    "softplus",
    "softsign",
    "split",
    "sqrt",
    "square",
    "squeeze",
    "stack",
    "std",
    "stop_gradient",
    "subtract",
    "sum",
    "swapaxes",
    "swish",
    "take",
    "tan",
    "tanh",
    "tensordot",
    "tile",
    "trace",
    "transpose",
    "tril",
    "triu",
    "uint8",
    "unbroadcast",
    "unstack",
    "value_and_grad",
    "value_and_gradients_function",
    "var",
    "vdot",
    "vjp",
    "vstack",
    "where",
    "zeros",
    "zeros_like",
]
__all__ += ["compute"]  # backends (issue 13)
# safe x log y, adding updates into a tensor, complex parts (issue 11, sections 2 and 3)
__all__ += ["xlogy", "xlog1py", "tensor_scatter_nd_add"]

# tapegrad.numpy (NumPy's names and semantics) registers np.<name>(tensor) for the functions it adds;
# it is a submodule, deliberately not in __all__ (``from tapegrad import *`` must not shadow numpy)
from tapegrad import numpy as _numpy_namespace  # noqa: E402, F401
