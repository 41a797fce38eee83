"""tapegrad: exact derivatives of NumPy code, with TensorFlow's gradient-tape API.

    import tapegrad as tg
    x = tg.constant(3.0)
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = x ** 2
    tape.gradient(y, x)  # 6.0
"""

from tapegrad import ops as _ops  # registers the rule table  # noqa: F401
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
from tapegrad._tensor import Tensor, Variable
from tapegrad.backward import UnconnectedGradients
from tapegrad.forward import ForwardAccumulator
from tapegrad.ops.activations import *  # noqa: F403
from tapegrad.ops.comparison import *  # noqa: F403
from tapegrad.ops.creation import *  # noqa: F403
from tapegrad.ops.elementwise import *  # noqa: F403
from tapegrad.ops.linalg import *  # noqa: F403
from tapegrad.ops.reduce import *  # noqa: F403
from tapegrad.ops.shape import *  # noqa: F403
from tapegrad.tape import GradientTape
from tapegrad import linalg, losses, nn, optimizers  # noqa: E402  (submodules: tg.linalg.inv, tg.optimizers.Adam)

bool = bool_  # noqa: A001  (tg.bool, as tf.bool)

__version__ = "0.1.0"
