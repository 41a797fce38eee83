"""Every tg.function test runs twice: with plain calls running generated code from the start, and
with plain calls running the program line by line (never compiled): both must give eager's bits."""

import pytest

from tapegrad._function import _concrete


@pytest.fixture(autouse=True, params=["compiled", "line by line"])
def plain_calls(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "line by line" and request.node.get_closest_marker("compiled_only"):
        pytest.skip("this test is about the generated code itself")
    monkeypatch.setattr(_concrete, "COMPILE_AFTER", 0 if request.param == "compiled" else 10**9)
    return request.param
