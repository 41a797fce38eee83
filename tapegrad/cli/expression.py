"""Expressions for the command line: parsed as data against a whitelist, never executed as code.

    expr = parse_expression("3*(x1**2 + x2*x3)")
    expr.variables                    # ('x1', 'x2', 'x3')
    expr({"x1": x1, "x2": x2, "x3": x3})  # a tg.Tensor, computed with tapegrad ops

The text is parsed with :mod:`ast` and checked node by node: numbers, variable names, ``+ - * / **``,
unary minus/plus, parentheses, and calls of whitelisted functions (the elementwise functions that
tapegrad has: sin, exp, tanh, sigmoid, ...). Everything else (attribute access, subscripts, strings,
lambdas, comprehensions, other calls, dunder names, keywords, ...) is rejected with a one-line
:class:`ExpressionError` naming the construct. The checked tree is then evaluated by walking it with
tapegrad ops; ``eval``/``exec`` are never used. Walks are iterative, and the size and nesting depth
are bounded, so hostile input cannot exhaust the stack or the memory.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

import tapegrad as tg

MAX_LENGTH = 4000  # characters
MAX_DEPTH = 100  # nesting levels (parentheses, calls, powers); a flat sum a + b + ... + z is one level
MAX_NODES = 2000

CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}

# name -> (tapegrad function name, number of arguments); entries tapegrad lacks are left out
_CANDIDATES: dict[str, tuple[str, int]] = {
    **{name: (name, 1) for name in (
        "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh",
        "arccosh", "arctanh", "exp", "expm1", "exp2", "log", "log1p", "log2", "log10", "sqrt",
        "cbrt", "square", "reciprocal", "abs", "sign", "floor", "ceil", "round", "sigmoid",
        "softplus", "softsign", "relu", "relu6", "elu", "selu", "gelu", "silu", "swish",
        "log_sigmoid", "erf", "erfc", "lgamma", "digamma", "sinc",
    )},
    # aliases that people type
    "asin": ("arcsin", 1), "acos": ("arccos", 1), "atan": ("arctan", 1), "asinh": ("arcsinh", 1),
    "acosh": ("arccosh", 1), "atanh": ("arctanh", 1), "ln": ("log", 1),
    # several arguments
    "arctan2": ("arctan2", 2), "atan2": ("arctan2", 2), "hypot": ("hypot", 2), "maximum": ("maximum", 2),
    "minimum": ("minimum", 2), "max": ("maximum", 2), "min": ("minimum", 2), "logaddexp": ("logaddexp", 2),
    "pow": ("power", 2), "power": ("power", 2), "clip": ("clip", 3),
}

_BINARY = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "**": operator.pow}


def allowed_functions() -> dict[str, tuple[Callable[..., Any], int]]:
    """The whitelist: function name -> (tapegrad op, number of arguments), for what tapegrad has."""
    table = {}
    for name, (target, arity) in _CANDIDATES.items():
        fn = getattr(tg, target, None)
        if callable(fn):
            table[name] = (fn, arity)
    return table


class ExpressionError(ValueError):
    """The text is not an allowed expression; the message is one line that names the problem."""


# ---- the checked tree ------------------------------------------------------------------------
# ("num", value) | ("const", name) | ("var", name) | ("neg", child) | ("bin", op, left, right)
# | ("call", name, arg, ...)
Node = tuple

_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_OTHER_BINOPS = {
    ast.Mod: "the operator %", ast.FloorDiv: "the operator //", ast.MatMult: "the operator @",
    ast.LShift: "the operator <<", ast.RShift: "the operator >>", ast.BitOr: "the operator |",
    ast.BitAnd: "the operator &", ast.BitXor: "the operator ^",
}
_CONSTRUCTS = {
    "Attribute": "attribute access (a.b) is",
    "Subscript": "subscripts (a[...]) are",
    "Slice": "slices are",
    "Lambda": "lambda is",
    "ListComp": "comprehensions are",
    "SetComp": "comprehensions are",
    "DictComp": "comprehensions are",
    "GeneratorExp": "generator expressions are",
    "Compare": "comparisons are",
    "BoolOp": "and/or are",
    "IfExp": "conditional expressions (a if c else b) are",
    "NamedExpr": "assignment expressions (:=) are",
    "Starred": "starred arguments (*a) are",
    "List": "lists are",
    "Tuple": "tuples (a, b) are",
    "Set": "sets are",
    "Dict": "dicts are",
    "JoinedStr": "f-strings are",
    "FormattedValue": "f-strings are",
    "Await": "await is",
    "Yield": "yield is",
    "YieldFrom": "yield is",
}


def _where(node: ast.AST) -> str:
    col = getattr(node, "col_offset", None)
    return f" (at column {col + 1})" if col is not None else ""


def _reject(what: str, node: ast.AST | None = None) -> ExpressionError:
    return ExpressionError(f"{what} not allowed in an expression{_where(node) if node is not None else ''}")


class Expression:
    """A checked expression: call it with a mapping of variable values to evaluate it with tapegrad ops."""

    def __init__(self, text: str, tree: Node, variables: tuple[str, ...], functions: tuple[str, ...]) -> None:
        self.text = text
        self.tree = tree
        self.variables = variables
        self.functions = functions

    def __repr__(self) -> str:
        return f"Expression({self.text!r}, variables={self.variables})"

    def __call__(self, env: Mapping[str, Any], dtype: Any = None) -> Any:
        """Evaluate with tapegrad ops; ``env`` maps each variable to a tensor (or Variable, or number).

        Number literals become tensors of ``dtype`` (default float64) so that nothing is ever
        computed in Python arithmetic (``9**9**9`` is a float overflow, not a hang).
        """
        dtype = tg.float64 if dtype is None else dtype
        missing = [v for v in self.variables if v not in env]
        if missing:
            raise ExpressionError(f"no value for {', '.join(missing)}")
        table = allowed_functions()

        def leaf(node: Node) -> Any:
            kind = node[0]
            if kind == "num":
                return tg.constant(node[1], dtype=dtype)
            if kind == "const":
                return tg.constant(CONSTANTS[node[1]], dtype=dtype)
            value = env[node[1]]
            return value if isinstance(value, tg.Tensor) else tg.constant(value, dtype=dtype)

        def combine(node: Node, args: list) -> Any:
            kind = node[0]
            if kind == "neg":
                return -args[0]
            if kind == "bin":
                return _BINARY[node[1]](*args)
            return table[node[1]][0](*args)

        return fold(self.tree, leaf, combine)

    def to_sympy(self, symbols: Mapping[str, Any] | None = None) -> Any:
        """The expression as a SymPy expression (ImportError without SymPy; ExpressionError for a
        function with no symbolic form)."""
        import sympy

        symbols = dict(symbols or {})
        for v in self.variables:
            symbols.setdefault(v, sympy.Symbol(v, real=True))
        forms = _sympy_forms(sympy)

        def leaf(node: Node) -> Any:
            if node[0] == "num":
                value = node[1]
                if float(value).is_integer() and abs(value) < 1e15:
                    return sympy.Integer(int(value))
                return sympy.Float(value)
            if node[0] == "const":
                return sympy.pi if node[1] == "pi" else sympy.E
            return symbols[node[1]]

        def combine(node: Node, args: list) -> Any:
            kind = node[0]
            if kind == "neg":
                return -args[0]
            if kind == "bin":
                return _BINARY[node[1]](*args)
            name = _CANDIDATES[node[1]][0]
            form = forms.get(name)
            if form is None:
                raise ExpressionError(f"{node[1]}() has no symbolic (SymPy) form in tapegrad")
            return form(*args)

        return fold(self.tree, leaf, combine)


def _sympy_forms(sp: Any) -> dict[str, Callable[..., Any]]:
    return {
        "sin": sp.sin, "cos": sp.cos, "tan": sp.tan, "arcsin": sp.asin, "arccos": sp.acos, "arctan": sp.atan,
        "sinh": sp.sinh, "cosh": sp.cosh, "tanh": sp.tanh, "arcsinh": sp.asinh, "arccosh": sp.acosh,
        "arctanh": sp.atanh, "exp": sp.exp, "expm1": lambda x: sp.exp(x) - 1, "exp2": lambda x: 2**x,
        "log": sp.log, "log1p": lambda x: sp.log(1 + x), "log2": lambda x: sp.log(x, 2),
        "log10": lambda x: sp.log(x, 10), "sqrt": sp.sqrt, "cbrt": sp.cbrt, "square": lambda x: x**2,
        "reciprocal": lambda x: 1 / x, "abs": sp.Abs, "sign": sp.sign, "floor": sp.floor, "ceil": sp.ceiling,
        "sigmoid": lambda x: 1 / (1 + sp.exp(-x)), "softplus": lambda x: sp.log(1 + sp.exp(x)),
        "softsign": lambda x: x / (1 + sp.Abs(x)), "relu": lambda x: sp.Max(0, x),
        "silu": lambda x: x / (1 + sp.exp(-x)), "swish": lambda x: x / (1 + sp.exp(-x)),
        "log_sigmoid": lambda x: -sp.log(1 + sp.exp(-x)), "erf": sp.erf, "erfc": sp.erfc,
        "lgamma": sp.loggamma, "digamma": sp.digamma, "arctan2": sp.atan2,
        "hypot": lambda a, b: sp.sqrt(a**2 + b**2), "maximum": sp.Max, "minimum": sp.Min,
        "logaddexp": lambda a, b: sp.log(sp.exp(a) + sp.exp(b)), "power": lambda a, b: a**b,
    }


def fold(tree: Node, leaf: Callable[[Node], Any], combine: Callable[[Node, list], Any]) -> Any:
    """Post-order walk of a checked tree without recursion: ``leaf`` for leaves, ``combine`` above."""
    results: list = []
    stack: list = [(tree, False)]
    while stack:
        node, expanded = stack.pop()
        kind = node[0]
        if kind in ("num", "const", "var"):
            results.append(leaf(node))
            continue
        children = _children(node)
        if expanded:
            args = results[len(results) - len(children):]
            del results[len(results) - len(children):]
            results.append(combine(node, args))
        else:
            stack.append((node, True))
            for child in reversed(children):
                stack.append((child, False))
    return results[0]


def _children(node: Node) -> tuple:
    kind = node[0]
    if kind == "neg":
        return (node[1],)
    if kind == "bin":
        return (node[2], node[3])
    return node[2:]


def to_text(tree: Node) -> str:
    """The tree written back as an expression (fully parenthesised where needed)."""
    prec = {"+": 1, "-": 1, "*": 2, "/": 2, "**": 4}

    def leaf(node: Node) -> tuple[str, int]:
        if node[0] == "num":
            v = node[1]
            text = repr(int(v)) if float(v).is_integer() and abs(v) < 1e15 else repr(v)
            return (text, 5) if v >= 0 else (text, 3)
        return node[1], 5

    def combine(node: Node, args: list) -> tuple[str, int]:
        if node[0] == "neg":
            text, p = args[0]
            return ("-" + (text if p >= 3 else f"({text})"), 3)
        if node[0] == "bin":
            op = node[1]
            (lt, lp), (rt, rp) = args
            p = prec[op]
            if op == "**":
                left = lt if lp > p else f"({lt})"
                right = rt if rp >= 3 else f"({rt})"
                return f"{left}**{right}", p
            left = lt if lp >= p else f"({lt})"
            right = rt if rp > p else f"({rt})"
            return f"{left} {op} {right}", p
        return f"{node[1]}({', '.join(a for a, _ in args)})", 5

    return fold(tree, leaf, combine)[0]


# ---- parsing and checking -------------------------------------------------------------------------
def parse_expression(text: str, *, what: str = "expression") -> Expression:
    """Parse and check ``text``; raises :class:`ExpressionError` with a one-line reason if it is not allowed."""
    if not isinstance(text, str):
        raise ExpressionError(f"the {what} must be text, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the {what} is too long ({len(text)} characters; at most {MAX_LENGTH})")
    if not text.strip():
        raise ExpressionError(f"the {what} is empty")
    try:
        module = ast.parse(text.strip(), mode="eval")
    except SyntaxError as err:
        msg = (err.msg or "invalid syntax").split("\n")[0]
        col = f" at column {err.offset}" if err.offset else ""
        raise ExpressionError(f"not a valid {what}: {msg}{col}") from None
    except (RecursionError, MemoryError):
        raise ExpressionError(f"the {what} is nested too deeply") from None
    except ValueError as err:  # e.g. null bytes
        raise ExpressionError(f"not a valid {what}: {str(err).splitlines()[0]}") from None
    for node in ast.walk(module):  # breadth first, without recursion: the most telling problem first
        name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
        if name is not None and name.startswith("__"):
            raise _reject(f"the dunder name {name!r} is", node)
    table = allowed_functions()
    variables: list[str] = []
    functions: list[str] = []
    count = 0
    # iterative conversion: (ast node, depth, slot index in its parent's list)
    root: list = [None]
    stack: list = [(module.body, 1, root, 0)]
    pending: list = []  # nodes whose children must be assembled after them (post-order)
    while stack:
        node, depth, parent, slot = stack.pop()
        count += 1
        if depth > MAX_DEPTH:
            raise ExpressionError(f"the {what} is nested too deeply (more than {MAX_DEPTH} levels)")
        if count > MAX_NODES:
            raise ExpressionError(f"the {what} is too large (more than {MAX_NODES} parts)")
        if isinstance(node, ast.Constant):
            parent[slot] = ("num", _number(node))
        elif isinstance(node, ast.Name):
            name = node.id
            if name.startswith("__"):
                raise _reject(f"the dunder name {name!r} is", node)
            if name in table:
                raise ExpressionError(f"{name} is a function; call it as {name}(...){_where(node)}")
            if name in CONSTANTS:
                parent[slot] = ("const", name)
            else:
                if name not in variables:
                    variables.append(name)
                parent[slot] = ("var", name)
        elif isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                holder = [None]
                pending.append((parent, slot, "neg", holder))
                stack.append((node.operand, depth + 1, holder, 0))
            elif isinstance(node.op, ast.UAdd):
                stack.append((node.operand, depth + 1, parent, slot))
            elif isinstance(node.op, ast.Not):
                raise _reject("'not' is", node)
            else:
                raise _reject("the operator ~ is", node)
        elif isinstance(node, ast.BinOp):
            op = _BINOPS.get(type(node.op))
            if op is None:
                err = _reject(f"{_OTHER_BINOPS.get(type(node.op), type(node.op).__name__)} is", node)
                if isinstance(node.op, ast.BitXor):
                    err = ExpressionError(f"{err}; write powers as x**2")
                raise err
            holder = [None, None]
            pending.append((parent, slot, ("bin", op), holder))
            stack.append((node.right, depth + 1, holder, 1))  # popped after the left side: names keep their order
            # a chain a + b - c + ... (or a * b / c ...) is one level of nesting however long it is
            flat = isinstance(node.left, ast.BinOp) and _group(node.left.op) == _group(node.op) != "**"
            stack.append((node.left, depth if flat else depth + 1, holder, 0))
        elif isinstance(node, ast.Call):
            func = node.func
            if not isinstance(func, ast.Name):
                raise _reject("calling anything but a function name is", node)
            name = func.id
            if name.startswith("__"):
                raise _reject(f"the dunder name {name!r} is", func)
            if name not in table:
                raise ExpressionError(
                    f"unknown function {name!r}{_where(func)}; allowed functions: {', '.join(sorted(table))}"
                )
            if node.keywords:
                raise _reject("keyword arguments are", node)
            for a in node.args:
                if isinstance(a, ast.Starred):
                    raise _reject("starred arguments (*a) are", a)
            arity = table[name][1]
            if len(node.args) != arity:
                raise ExpressionError(
                    f"{name}() takes {arity} argument{'s' if arity != 1 else ''}, got {len(node.args)}{_where(node)}"
                )
            if name not in functions:
                functions.append(name)
            holder = [None] * arity
            pending.append((parent, slot, ("call", name), holder))
            for i in reversed(range(arity)):
                stack.append((node.args[i], depth + 1, holder, i))
        else:
            kind = type(node).__name__
            raise _reject(_CONSTRUCTS.get(kind, f"the construct {kind} is"), node)
    # assemble composite nodes, innermost (last pushed) first
    for parent, slot, head, holder in reversed(pending):
        if head == "neg":
            child = holder[0]
            parent[slot] = ("num", -child[1]) if child[0] == "num" else ("neg", child)
        else:
            parent[slot] = (*head, *holder)
    return Expression(text.strip(), root[0], tuple(variables), tuple(functions))


def _group(op: ast.operator) -> str:
    """Operators that chain left to right at one precedence level share a group."""
    return "+" if isinstance(op, (ast.Add, ast.Sub)) else "*" if isinstance(op, (ast.Mult, ast.Div)) else "**"


def _number(node: ast.Constant) -> float:
    value = node.value
    if isinstance(value, bool) or value is None or value is Ellipsis:
        raise _reject(f"{value!r} is", node)
    if isinstance(value, (str, bytes)):
        raise _reject("strings are", node)
    if isinstance(value, complex):
        raise _reject("complex numbers are", node)
    if not isinstance(value, (int, float)):
        raise _reject(f"the literal {type(value).__name__} is", node)
    try:
        return float(value)
    except OverflowError:
        raise ExpressionError(f"the number at column {node.col_offset + 1} is too large") from None


def parse_number(text: str, what: str = "value") -> float:
    """A number written as a constant expression: ``2``, ``-1.5``, ``pi/2``, ``2*pi``."""
    expr = parse_expression(text, what=what)
    if expr.variables:
        raise ExpressionError(f"the {what} {text!r} must be a number, not contain the name {expr.variables[0]!r}")
    with np.errstate(all="ignore"):
        value = float(expr({}, dtype=tg.float64))
    if not math.isfinite(value):
        raise ExpressionError(f"the {what} {text.strip()!r} is not a finite number (it is {value})")
    return value


# ---- where a nan or inf first arises ------------------------------------------------------------------
def _finite(a: np.ndarray) -> np.ndarray:
    return np.isfinite(a) if np.iscomplexobj(a) or a.dtype.kind == "f" else np.ones(a.shape, dtype=bool)


def _describe(node: Node, children: tuple, arg_values: list, index: tuple, label: Callable[[tuple], str]) -> str:
    """``x = -1`` style text for the non-constant arguments of ``node`` at element ``index``."""
    parts = []
    for child, value in zip(children, arg_values):
        if child[0] in ("num", "const"):
            continue
        v = np.asarray(value)
        v = v[index[len(index) - v.ndim:]] if v.ndim else v[()]
        parts.append(f"{to_text(child)} = {float(v):.6g}")
    where = f" where {', '.join(parts)}" if parts else ""
    extra = label(index)
    return where + (f" ({extra})" if extra else "")


def locate_nonfinite(
    expr: Expression, env: Mapping[str, Any], *, derivative: bool = False,
    label: Callable[[tuple], str] | None = None,
) -> str | None:
    """Where a nan or inf first arises when ``expr`` is evaluated at ``env`` (numbers or arrays).

    Walks the tree bottom up and returns e.g. ``"log(x) is nan where x = -1"`` for the first
    subexpression whose value is not finite although its arguments are. With ``derivative=True`` it
    looks instead for the first operation whose local partial derivative is not finite at finite
    arguments (``"the derivative of sqrt(x) is inf where x = 0"``). ``label(index)`` names an array
    element (a data row, a grid point). None when every value (or partial) is finite.
    """
    label = label or (lambda index: "")
    table = allowed_functions()
    found: list[str] = []

    def leaf(node: Node) -> Any:
        if node[0] == "num":
            return np.float64(node[1])
        if node[0] == "const":
            return np.float64(CONSTANTS[node[1]])
        value = env[node[1]]
        return np.asarray(value._value if isinstance(value, tg.Tensor) else value, dtype=np.float64)

    def apply(node: Node, args: list) -> Any:
        if node[0] == "neg":
            return -args[0]
        if node[0] == "bin":
            return _BINARY[node[1]](*args)
        return table[node[1]][0](*args)

    def combine(node: Node, args: list) -> Any:
        if found:
            return args[0]
        shape = np.broadcast_shapes(*(np.shape(a) for a in args))
        ok = np.ones(shape, dtype=bool)
        for a in args:
            ok &= np.broadcast_to(_finite(np.asarray(a)), shape)
        consts = [tg.constant(a, dtype=tg.float64) for a in args]
        if derivative:
            with tg.GradientTape() as tape:
                tape.watch(consts)
                out = apply(node, consts)
            partials = tape.gradient(out, consts, unconnected_gradients="zero")
            for k, g in enumerate(partials):
                bad = ok & ~np.broadcast_to(_finite(np.asarray(g._value)), shape)
                if bad.any():
                    index = tuple(int(i) for i in np.argwhere(bad)[0])
                    g_val = np.asarray(g._value)
                    g_val = g_val[index[len(index) - g_val.ndim:]] if g_val.ndim else g_val[()]
                    of = f" with respect to {to_text(_children(node)[k])}" if len(args) > 1 else ""
                    found.append(f"the derivative of {to_text(node)}{of} is {float(g_val)}"
                                 + _describe(node, _children(node), args, index, label))
                    break
        else:
            out = apply(node, consts)
        value = np.asarray(out._value)
        if not found and not derivative:
            bad = ok & ~np.broadcast_to(_finite(value), shape)
            if bad.any():
                index = tuple(int(i) for i in np.argwhere(bad)[0])
                v = value[index[len(index) - value.ndim:]] if value.ndim else value[()]
                found.append(f"{to_text(node)} is {float(v)}" + _describe(node, _children(node), args, index, label))
        return value

    with np.errstate(all="ignore"):
        fold(expr.tree, leaf, combine)
    return found[0] if found else None
