"""TensorFlow 1.x compatibility names, so the TF-era seed programs run with `tf` -> `tg` unchanged.

`tg.contrib.eager` (imported as `tfe` in TensorFlow's eager tutorials) maps to tapegrad's own
gradient tape, Variables and function transforms.
"""

from tapegrad.contrib import eager

__all__ = ["eager"]
