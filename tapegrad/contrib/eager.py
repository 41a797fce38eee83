"""`tg.contrib.eager`: the names TensorFlow 1.x's `tf.contrib.eager` (`tfe`) offered that tapegrad has.

TensorFlow's eager tutorials start with ``tfe = tf.contrib.eager`` and call ``tfe.gradients_function``;
with ``import tapegrad as tf`` the same lines run. Every name here is tapegrad's own object (not a
copy), so ``tfe.GradientTape is tg.GradientTape``.

    >>> import tapegrad as tg
    >>> tfe = tg.contrib.eager
    >>> tfe.gradients_function(lambda x: x * x)(3.0)[0].numpy()
    np.float32(6.0)
"""

from tapegrad._tensor import Variable
from tapegrad.custom import custom_gradient
from tapegrad.tape import GradientTape
from tapegrad.transforms import gradients_function, value_and_gradients_function


def executing_eagerly() -> bool:
    """Always True: tapegrad runs every operation when it is called (there is no graph mode)."""
    return True


__all__ = [
    "GradientTape",
    "Variable",
    "custom_gradient",
    "executing_eagerly",
    "gradients_function",
    "value_and_gradients_function",
]
