"""The API reference pages, generated when the site is built: every name in ``tapegrad.__all__``.

Each page of ``docs/api/`` calls ``render(group)``. Functions and classes are rendered by
mkdocstrings from their docstrings (signature, text); ops of the rule table, dtypes and submodules
get a section written here. Every name without an example in its docstring gets the one in
``api_examples.EXAMPLES``, run here, with the output it printed. A name in no group lands in the
"ops" pages by the module it comes from, so a new public name can never be left out; one with no
example at all stops the build.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))

import numpy as np  # noqa: E402
from api_examples import EXAMPLES  # noqa: E402

import tapegrad as tg  # noqa: E402
from tapegrad._primitive import Primitive  # noqa: E402

# page slug -> (title, names); the ops pages take every other public name, by family
GROUPS: dict[str, tuple[str, list[str]]] = {
    "tape": ("Tensors and the gradient tape", [
        "Tensor", "Variable", "GradientTape", "ForwardAccumulator", "TaylorAccumulator", "UnconnectedGradients",
        "constant", "convert_to_tensor",
    ]),
    "transforms": ("Function transforms", [
        "function", "grad", "value_and_grad", "gradients_function", "value_and_gradients_function", "vjp", "jvp",
        "jacobian", "jacfwd", "jacrev", "hessian", "hvp", "derivatives", "derivative_tensors", "taylor_series",
        "stop_gradient", "Function", "FunctionWarning", "print",
    ]),
    "custom": ("Custom derivatives and primitives", [
        "custom_gradient", "recompute_grad", "primitive", "Primitive", "defvjp", "defjvp", "defrule", "elementwise",
        "unbroadcast",
    ]),
    "checking": ("Checking and explaining", [
        "check_grads", "numerical_gradient", "explain_gradient", "tape_graph", "TapeGraph",
    ]),
    "modules": ("Submodules", ["numpy", "linalg", "optimizers", "losses", "nn"]),
    "dtypes": ("dtypes", [
        "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool", "bool_",
        "default_float", "set_default_float",
    ]),
    "compat": ("TensorFlow 1.x compatibility", ["enable_eager_execution", "executing_eagerly", "contrib"]),
}
OPS_TITLE = "Ops"
PAGES = ROOT / "docs" / "api"


def _family(obj: Any) -> str:
    """The rule-table family (module of tapegrad.ops) a public op comes from."""
    from tapegrad import ops

    for family in ops.FAMILIES:
        if any(value is obj for value in vars(family).values()):
            return family.__name__.rsplit(".", 1)[-1]
    return getattr(obj, "__module__", "other").rsplit(".", 1)[-1]


def groups() -> dict[str, tuple[str, list[str]]]:
    """Every page and its names: GROUPS, then one ops page per family for the rest."""
    placed = {n for _, names in GROUPS.values() for n in names}
    result = {slug: (title, [n for n in names if n in tg.__all__]) for slug, (title, names) in GROUPS.items()}
    families: dict[str, list[str]] = {}
    for name in sorted(tg.__all__):
        if name not in placed:
            families.setdefault(_family(getattr(tg, name)), []).append(name)
    other: list[str] = []
    for family, names in sorted(families.items()):
        if (PAGES / f"ops-{family}.md").is_file():
            result[f"ops-{family}"] = (f"{OPS_TITLE}: {family}", names)
        else:  # a family or module with no page of its own yet: listed on the catch-all page
            other.extend(names)
    result["more"] = ("More public names", sorted(other))
    return result


def _doc(obj: Any) -> str:
    if isinstance(obj, Primitive):
        return obj.doc or ""
    if isinstance(obj, np.dtype) or isinstance(obj, type) and issubclass(obj, np.generic):
        return ""
    return inspect.getdoc(obj) or ""


def has_example(obj: Any) -> bool:
    """A docstring example: doctest lines, or an indented code paragraph."""
    doc = _doc(obj)
    return ">>>" in doc or re.search(r"\n\s*\n {4,}\S", doc) is not None


def run_example(name: str, code: str) -> str:
    """Run one example (names ``tg`` and ``np`` predefined); what it printed."""
    out = io.StringIO()
    namespace = {"tg": tg, "np": np}
    with contextlib.redirect_stdout(out):
        try:
            exec(compile(code, f"<example of tg.{name}>", "exec"), namespace)
        except Exception as err:  # the build must stop: say which example broke
            raise RuntimeError(f"the API example of tg.{name} failed: {type(err).__name__}: {err}") from err
    return out.getvalue()


def _example_md(name: str) -> str:
    code = EXAMPLES[name]
    printed = run_example(name, code)
    body = f"```python\nimport tapegrad as tg\n\n{code}\n```\n"
    if printed.strip():
        body += f"\nprints\n\n```text\n{printed.rstrip()}\n```\n"
    return "**Example**\n\n" + body


def _signature(obj: Primitive) -> str:
    impl = obj.impl
    if isinstance(impl, np.ufunc):
        args = ["x"] if impl.nin == 1 else ["x", "y"] if impl.nin == 2 else [f"x{i}" for i in range(impl.nin)]
        return f"tg.{obj.name}({', '.join(args)})"
    try:
        return f"tg.{obj.name}{inspect.signature(impl)}"
    except (TypeError, ValueError):
        return f"tg.{obj.name}(...)"


def section(name: str) -> str:
    """The markdown of one public name."""
    obj = getattr(tg, name)
    if inspect.isclass(obj) and not issubclass(obj, np.generic) or inspect.isfunction(obj):
        members = ""
        if inspect.isclass(obj):  # its own public methods and properties (Variable: those it adds)
            own = sorted(n for n in vars(obj) if not n.startswith("_"))
            members = f"\n    options:\n      members: [{', '.join(own)}]" if own else ""
        md = f"::: tapegrad.{name}{members}\n\n"
    elif isinstance(obj, Primitive):
        md = (f"### tg.{name} {{#tapegrad.{name}}}\n\n```python\n{_signature(obj)}\n```\n\n"
              f"{obj.doc}\n\nA primitive of the rule table: see [supported functions](../numpy-functions.md).\n\n")
    elif inspect.ismodule(obj):  # the module and each of its public names, by mkdocstrings
        members = ", ".join(sorted(getattr(obj, "__all__", [])))
        md = f"::: tapegrad.{name}\n    options:\n      members: [{members}]\n      show_root_full_path: true\n\n"
    elif isinstance(obj, np.dtype) or isinstance(obj, type):
        md = (f"### tg.{name} {{#tapegrad.{name}}}\n\nNumPy's `{np.dtype(obj).name}` dtype "
              f"(`tg.{name} == np.{np.dtype(obj).name}`).\n\n")
    else:
        md = f"### tg.{name} {{#tapegrad.{name}}}\n\n`{obj!r}`\n\n"
    if not has_example(obj):
        if name not in EXAMPLES:
            raise RuntimeError(f"tg.{name} has no example: add one to its docstring or to docs/scripts/api_examples.py")
        md += _example_md(name)
    return md + "\n"


def render(slug: str) -> str:
    """The body of one API page."""
    title, names = groups()[slug]
    return "\n".join(section(name) for name in names) or "(None at the moment: every public name has its own page.)"


def index() -> str:
    """The API index: every page with its names."""
    lines = []
    for slug, (title, names) in groups().items():
        lines.append(f"- [{title}]({slug}.md): " + ", ".join(f"`{n}`" for n in names))
    return "\n".join(lines) + "\n"
