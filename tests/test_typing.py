"""Static type checkers see Tensor's generated operators and methods.

tapegrad/_tensor.py makes Tensor's operators and NumPy-style methods at import, from name tables, and
declares them for type checkers in an ``if TYPE_CHECKING:`` block of the class. These tests keep the
declarations and the tables in step and run mypy on code that uses them.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import tapegrad
from tapegrad import _tensor
from tapegrad._tensor import Tensor

PACKAGE = Path(tapegrad.__file__).parent


def _declared() -> dict[str, ast.FunctionDef]:
    """The declarations in ``class Tensor``'s ``if TYPE_CHECKING:`` block, in order."""
    tree = ast.parse((PACKAGE / "_tensor.py").read_text())
    cls = next(node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == "Tensor")
    block = next(node for node in cls.body if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING")
    return {node.name: node for node in block.body if isinstance(node, ast.FunctionDef)}


def _generated() -> dict[str, object]:
    """Tensor's members made by ``_method`` and ``_numpy_method`` (T, real, imag: properties of one), in order."""
    made_by = ("_method.", "_numpy_method.")
    return {
        name: member
        for name, member in vars(Tensor).items()
        if getattr(getattr(member, "fget", member), "__qualname__", "").startswith(made_by)
    }


def test_each_generated_member_is_declared_in_the_tables_order():
    assert list(_declared()) == list(_generated())


def test_the_declarations_take_what_the_generated_members_take():
    declared = _declared()
    for name, member in _generated().items():
        declaration = declared[name]
        assert isinstance(member, property) == ("property" in map(ast.unparse, declaration.decorator_list)), name
        function = getattr(member, "fget", member)
        parameters = [a.arg for a in declaration.args.args + declaration.args.kwonlyargs][1:]  # less self
        if function.__qualname__.startswith("_method."):  # (self) or (self, other)
            assert len(parameters) + 1 == function.__code__.co_argcount, name
        else:  # NumPy's parameters: those of the function t.<name>(...) calls, np.<name>(t, ...)
            assert set(parameters) <= set(inspect.signature(_tensor._numpy(name)).parameters), name


SNIPPET = """
import tapegrad as tg

x = tg.Tensor([[1.0, 2.0], [3.0, 4.0]])
v = tg.Variable(x)
z = x * v + 1.0
reveal_type(z)  # Tensor
reveal_type((z @ z.T).sum(axis=0))  # Tensor
reveal_type(2.0 - x / v**2 // 3 % 5 + 1 @ x)  # Tensor
reveal_type(-abs(x.real) + x.imag.conj() - x.conjugate())  # Tensor
reveal_type((x < v) & ~(x >= 1.0) | (x == v) | (x != 0))  # Tensor
reveal_type(x[0, 1:])  # Tensor
reveal_type(x.mean(axis=(0, 1), keepdims=True).max())  # Tensor
reveal_type(v.var(ddof=1) + v.std(0) + x.clip(0.0, 1.0).cumsum(axis=0).prod(where=x > 0))  # Tensor
reveal_type(x.argsort(axis=None).take([0, 1]).round(2))  # Tensor
reveal_type(x.nonzero())  # tuple[Tensor, ...]
reveal_type(v.read_value().swapaxes(0, 1).squeeze())  # Tensor
"""


@pytest.mark.skipif(importlib.util.find_spec("mypy") is None, reason="mypy is not installed (pip install mypy)")
def test_mypy_sees_tensor_operators_and_methods(tmp_path):
    snippet = tmp_path / "snippet.py"
    snippet.write_text(SNIPPET)
    config = tmp_path / "mypy.ini"
    # Only tapegrad/__init__.py and _tensor.py are read (not numpy, not the rest of tapegrad: Any), which
    # keeps the check to ~2 s; errors are reported in the snippet only.
    config.write_text(
        "[mypy]\nfollow_imports = skip\nfollow_imports_for_stubs = True\n"
        "[mypy-tapegrad,tapegrad.*]\nignore_errors = True\n"
    )
    files = [str(snippet), str(PACKAGE / "__init__.py"), str(PACKAGE / "_tensor.py")]
    # a process of its own: mypy sets the recursion limit and the garbage collector's thresholds
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(config), "--cache-dir", os.devnull, *files],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    revealed = re.findall(r'snippet\.py:\d+: note: Revealed type is "(.*)"', done.stdout)
    revealed = [t.replace("tapegrad._tensor.", "").replace("builtins.", "") for t in revealed]
    assert revealed == re.findall(r"reveal_type\(.*\)  # (.*)", SNIPPET), done.stdout
