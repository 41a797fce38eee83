"""A tg.function's first calls after the trace run the program line by line; the COMPILE_AFTER-th
plain call after that generates and compiles its code once. Every call gives eager's bits."""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad as tg
from tapegrad._function import _codegen, _concrete


pytestmark = pytest.mark.compiled_only  # (each test sets how many calls run line by line)


@pytest.fixture
def compile_after(plain_calls: str, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(_concrete, "COMPILE_AFTER", 3)
    return 3


def _body(x: tg.Tensor, y: tg.Tensor) -> tuple:
    with tg.GradientTape() as tape:
        tape.watch([x, y])
        z = tg.sum(tg.sin(x * y) ** 2) + tg.tanh(x @ y)
    return z, tape.gradient(z, [x, y])


def _bits(result: tuple) -> list:
    z, (gx, gy) = result
    return [np.asarray(t.numpy()).tobytes() for t in (z, gx, gy)]


def test_calls_run_line_by_line_then_compile_once(compile_after: int) -> None:
    rng = np.random.default_rng(3)
    f = tg.function(_body)
    compiled_before = _codegen._code.cache_info().misses
    for k in range(compile_after + 3):
        x, y = (tg.constant(rng.standard_normal(50)) for _ in range(2))
        assert _bits(f(x, y)) == _bits(_body(x, y))
        (concrete,) = f._cache[next(iter(f._cache))]
        compiled = _codegen._code.cache_info().misses - compiled_before
        if k <= compile_after:  # the trace, then COMPILE_AFTER calls line by line: nothing compiled
            assert compiled == 0 and concrete.call == concrete._interpreted
        else:  # then the code, generated and compiled once
            assert compiled == 1 and concrete.call != concrete._interpreted
    assert f.experimental_get_tracing_count() == 1


def test_the_source_is_there_before_the_code_runs(compile_after: int) -> None:
    f = tg.function(lambda a, b, c: 3 * (a**2 + b * c))
    xs = [tg.constant(v, dtype=tg.float64) for v in (2.0, 3.0, 4.0)]
    assert float(f(*xs)) == 48.0
    source = f.get_concrete_function(*xs).source
    assert "def forward(x0, x1, x2):" in source and "x0 ** c0" in source
    assert [float(f(*xs)) for _ in range(compile_after + 2)] == [48.0] * (compile_after + 2)


def test_a_guard_that_fails_line_by_line_traces_again(compile_after: int) -> None:
    def body(x: tg.Tensor) -> tg.Tensor:
        return x * 2.0 if tg.sum(x) > 0 else x - 1.0

    f = tg.function(body)
    for v in (1.0, 2.0, -1.0, -2.0, 3.0):  # line by line: the branch flips, the guard sends it back
        x = tg.constant(np.full(3, v))
        np.testing.assert_array_equal(f(x).numpy(), body(x).numpy())
    assert f.experimental_get_tracing_count() == 2


def test_variables_and_an_optimizer_step_line_by_line(compile_after: int) -> None:
    def run(compiled: bool) -> list:
        w = tg.Variable(np.array([1.0, -2.0, 0.5]))
        opt = tg.optimizers.Adam(learning_rate=0.1)
        data = tg.constant(np.array([0.3, 0.2, -0.4]))

        def step() -> tg.Tensor:
            with tg.GradientTape() as tape:
                loss = tg.sum((w * data - 1.0) ** 2)
            opt.apply_gradients([(tape.gradient(loss, w), w)])
            w.assign_add(tg.constant(np.full(3, 1e-3)))
            return loss

        fn = tg.function(step) if compiled else step
        return [float(fn()) for _ in range(compile_after + 4)] + [w.numpy().tobytes()]

    assert run(True) == run(False)
