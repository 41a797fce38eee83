"""tape.explain(target, source): one sentence on why a gradient is None (or that it is connected)."""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad as tg
from tapegrad.explain import explain_gradient


def one_sentence(text: str) -> str:
    assert "\n" not in text and text.endswith(".")
    assert text.count(". ") == 0 or all(part[:1].isupper() is False for part in text.split(". ")[1:])
    return text


def test_connected_names_the_path():
    x = tg.constant(3.0)
    with tg.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = tg.sin(x * x) + 1
    assert tape.gradient(y, x) is not None
    text = one_sentence(tape.explain(y, x))
    assert text.startswith("Connected") and "(multiply -> sin -> add)" in text and "3 recorded operations" in text
    assert explain_gradient(tape, y, x) == text
    assert tape.explain(x, x).startswith("Connected: the target is the source itself")


def test_never_watched():
    x = tg.constant(3.0)
    with tg.GradientTape(persistent=True) as tape:
        y = x * x
    assert tape.gradient(y, x) is None
    assert "never watched" in one_sentence(tape.explain(y, x)) and "tape.watch(x)" in tape.explain(y, x)


def test_integer_source():
    n = tg.constant(3)
    with tg.GradientTape(persistent=True) as tape:
        tape.watch(n)
        y = n * 2
    assert tape.gradient(y, n) is None
    text = one_sentence(tape.explain(y, n))
    assert "int32 dtype" in text and "tg.constant(2.0)" in text


def test_non_trainable_variable():
    v = tg.Variable(2.0, trainable=False, name="frozen")
    with tg.GradientTape(persistent=True) as tape:
        y = v * 3
    assert tape.gradient(y, v) is None
    text = one_sentence(tape.explain(y, v))
    assert "not trainable" in text and "tape.watch(frozen)" in text


def test_variable_not_read_and_watch_accessed_false():
    v = tg.Variable(2.0, name="w")
    y0 = v * 3  # read before the tape
    with tg.GradientTape(persistent=True) as tape:
        z = tg.constant(1.0) * 2  # noqa: F841
    assert "never read inside" in one_sentence(tape.explain(y0, v))
    with tg.GradientTape(persistent=True, watch_accessed_variables=False) as tape:
        y = v * 3
    assert tape.gradient(y, v) is None
    assert "watch_accessed_variables=False" in one_sentence(tape.explain(y, v))


def test_variable_connected():
    v = tg.Variable(2.0, name="w")
    with tg.GradientTape(persistent=True) as tape:
        y = v * 3
    assert "depends on 'w' through 1 recorded operation (multiply)" in tape.explain(y, v)


def test_computed_before_the_tape():
    x = tg.constant(3.0)
    y = x * x
    with tg.GradientTape(persistent=True) as tape:
        tape.watch(x)
    assert tape.gradient(y, x) is None
    text = one_sentence(tape.explain(y, x))
    assert "not on the tape" in text and "before or after the `with` block" in text


def test_computed_after_other_recorded_work():
    x = tg.constant(3.0)
    with tg.GradientTape(persistent=True) as tape:
        tape.watch(x)
        z = x + 1  # noqa: F841
    y = x * x  # after the block
    text = one_sentence(tape.explain(y, x))
    assert "outside the `with` block" in text and "add" in text


def test_numpy_round_trip_copy_of_a_recorded_value():
    x = tg.constant(3.0)
    with tg.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * 2
        z = tg.constant(y.numpy())
    assert tape.gradient(z, x) is None
    text = one_sentence(tape.explain(z, x))
    assert "equals the recorded result of multiply" in text and ".numpy()" in text


def test_numpy_round_trip_inside_a_recorded_op():
    a, b = tg.constant(1.0), tg.constant(2.0)
    with tg.GradientTape(persistent=True) as tape:
        tape.watch([a, b])
        y = a * 2
        z = b * tg.constant(y.numpy())
    assert tape.gradient(z, a) is None
    text = one_sentence(tape.explain(z, a))
    assert "constant equal to the recorded result of multiply" in text and ".numpy()" in text


def test_numpy_round_trip_then_more_math():
    x = tg.constant(3.0)
    with tg.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * 2
        z = tg.constant(y.numpy()) ** 2
    text = one_sentence(tape.explain(z, x))
    assert "not on the tape" in text and ".numpy()" in text
    if hasattr(tape, "_exported"):  # the tape notes exports: the sentence is definite
        assert "(value 6) was turned into plain numbers with .numpy() or float()" in text


def test_float_round_trip():
    x = tg.constant(3.0)
    with tg.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = tg.exp(x)
        z = tg.constant(float(y) + 1.0)
    assert tape.gradient(z, x) is None
    text = one_sentence(tape.explain(z, x))
    assert "not on the tape" in text and "float()" in text


def test_stop_recording():
    x = tg.constant(3.0)
    with tg.GradientTape(persistent=True) as tape:
        tape.watch(x)
        with tape.stop_recording():
            y = x * x
    assert tape.gradient(y, x) is None
    assert "stop_recording()" in one_sentence(tape.explain(y, x))
    with tg.GradientTape(persistent=True) as tape:
        tape.watch(x)
        z = x + 1  # noqa: F841
        with tape.stop_recording():
            y = x * x
    text = one_sentence(tape.explain(y, x))
    assert "stop_recording()" in text
    if hasattr(tape, "_stops"):
        assert text.startswith("The target is not on the tape, and this tape was paused with tape.stop_recording()")


def test_recorded_but_unrelated():
    a, b = tg.constant(1.0), tg.constant(2.0)
    with tg.GradientTape(persistent=True) as tape:
        tape.watch([a, b])
        z = b * 3
    assert tape.gradient(z, a) is None
    assert "does not depend on the source" in one_sentence(tape.explain(z, a))


def test_plain_values_and_a_used_up_tape():
    x = tg.constant(3.0)
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    assert "numpy.ndarray, not a tensor" in one_sentence(tape.explain(np.asarray(y), x))
    assert "float, not a tg.Tensor" in one_sentence(tape.explain(y, 3.0))
    tape.gradient(y, x)
    assert "persistent=True" in one_sentence(tape.explain(y, x))


@pytest.mark.parametrize("case", range(6))
def test_explain_never_raises_and_agrees_with_gradient(case):
    x = tg.constant(2.0)
    v = tg.Variable(1.5)
    with tg.GradientTape(persistent=True) as tape:
        tape.watch(x)
        outs = [x * v, tg.exp(x), v * 2, tg.constant(4.0), x + 0, tg.constant(1.0) * 3]
    y = outs[case]
    for source in (x, v):
        connected = tape.gradient(y, source) is not None
        assert tape.explain(y, source).startswith("Connected") == connected
