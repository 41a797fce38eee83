"""Code generation: print a traced program as straight-line Python calling NumPy directly.

The source is built only from the rule table (each primitive's forward function) and the recorded
program: names of values (``v7``), of constants (``c2``, whose values live in the namespace) and
of Variables (``w0``). Nothing a user typed reaches the source; keyword names that are not plain
identifiers and every non-integer parameter go into the namespace too.
"""

from __future__ import annotations

import functools
import keyword
import linecache
import math
import operator
from typing import Any

import numpy as np

from tapegrad._function._trace import Assign, Const, Effect, Guard, Load, Op, guard_value
from tapegrad._function._trace import reads as _reads

RETRACE = object()  # what generated code returns when a guard fails
DEL_BYTES = 1024  # values at least this large are deleted after their last use; a `del` of a
# small value costs more time than the memory is worth

_INFIX = {
    operator.add: "+",
    operator.sub: "-",
    operator.mul: "*",
    operator.truediv: "/",
    operator.floordiv: "//",
    operator.mod: "%",
    operator.matmul: "@",
}
_counter = [0]


def _literal(v: Any) -> str | None:
    """Source text for an int/bool/None (or a tuple of them): numbers, never text from a user."""
    if v is None or v is True or v is False:
        return repr(v)
    if v.__class__ is int:
        return repr(v)
    if v.__class__ is tuple:
        parts = [_literal(x) for x in v]
        if all(p is not None for p in parts):
            return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
    return None


def _truth(v: Any) -> bool:
    return bool(np.asarray(v).reshape(())[()])


def _int(v: Any) -> int:
    return int(np.asarray(v).reshape(())[()])


def _bits(v: Any) -> Any:
    return guard_value(v, "numpy")


class Printer:
    """Turns one program into source text plus the namespace it runs in."""

    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {
            "np": np,
            "math": math,
            "_RETRACE": RETRACE,
            "_truth": _truth,
            "_int": _int,
            "_bits": _bits,
        }
        self._const_names: dict[int, str] = {}
        self._fn_names: dict[int, str] = {}
        self.constants: list[tuple[str, Any]] = []

    def const(self, value: Any) -> str:
        name = self._const_names.get(id(value))
        if name is None:
            name = self._const_names[id(value)] = f"c{len(self._const_names)}"
            self.namespace[name] = value
            self.constants.append((name, value))
        return name

    def expr(self, ref: Any) -> str:
        return ref if ref.__class__ is str else self.const(ref.value)

    def function_name(self, prim: Any) -> str:
        impl = prim.impl
        name = self._fn_names.get(id(impl))
        if name is None:
            base = getattr(impl, "__name__", "")
            if isinstance(impl, np.ufunc) or getattr(np, base, None) is impl:
                name = f"np.{base}"
            else:
                label = prim.name if prim.name.isidentifier() and prim.name.isascii() else "f"
                name = f"tg_{label}"
                while name in self.namespace and self.namespace[name] is not impl:
                    name = f"tg_{label}_{len(self._fn_names)}"
                self.namespace[name] = impl
            self._fn_names[id(impl)] = name
        return name

    def call(self, line: Op, inlined: dict | None = None) -> tuple[str, int]:
        """The expression of an op and its precedence (``_ATOM`` for a name or a call); ``inlined``
        maps a value name to the (expression, precedence) that stands for it."""
        impl = line.prim.impl
        const_names = self._const_names
        args = []
        for a in line.args:
            if a.__class__ is str:
                args.append(a)
            else:
                name = const_names.get(id(a.value))
                args.append(name if name is not None else self.const(a.value))
        precs = None
        if inlined:
            precs = [_ATOM] * len(args)
            for j, a in enumerate(args):
                e = inlined.get(a)
                if e is not None:
                    args[j], precs[j] = e
        if not line.params:
            op = _INFIX.get(impl)
            if op is not None and len(args) == 2:
                # (left-associative: a left operand of the same precedence needs no parentheses)
                prec = _SUM if op == "+" or op == "-" else _PRODUCT
                if precs is None:
                    return f"{args[0]} {op} {args[1]}", prec
                left = args[0] if precs[0] >= prec else f"({args[0]})"
                right = args[1] if precs[1] > prec else f"({args[1]})"
                return f"{left} {op} {right}", prec
            if impl is operator.neg and len(args) == 1:
                return f"-{_atomic(args, precs, 0)}", _UNARY
            if impl is operator.pow and len(args) == 2:
                if precs is None:
                    return f"{args[0]} ** {args[1]}", _POWER
                return f"{_atomic(args, precs, 0)} ** {_atomic(args, precs, 1)}", _POWER
        parts = args
        odd: dict[str, Any] = {}
        for k, v in line.params.items():
            if not (k.isidentifier() and k.isascii() and not keyword.iskeyword(k)):
                odd[k] = v
                continue
            lit = _literal(v)
            parts.append(f"{k}={lit if lit is not None else self.const(v)}")
        if odd:
            parts.append(f"**{self.const(odd)}")
        return f"{self.function_name(line.prim)}({', '.join(parts)})", _ATOM


# Python's precedence of the expressions code generation prints (higher binds tighter)
_SUM, _PRODUCT, _UNARY, _POWER, _ATOM = 1, 2, 3, 4, 5
INLINE_CHARS = 60  # a value read once is written into its reader when its expression is this short


def _atomic(args: list, precs: list | None, j: int) -> str:
    """Operand ``j`` of ``-`` or ``**``: parenthesized unless a name or a call (as a reader expects)."""
    return args[j] if precs is None or precs[j] == _ATOM else f"({args[j]})"


_DTYPE_NAMES: dict = {}  # dtype -> its name (NumPy computes ``dtype.name`` in Python, each time)


def _dtype_name(dtype: Any) -> str:
    name = _DTYPE_NAMES.get(dtype)
    if name is None:
        name = _DTYPE_NAMES[dtype] = dtype.name
    return name


def _shape_text(value: Any) -> str:
    a = np.asarray(value)
    return f"{_dtype_name(a.dtype)}[{','.join(str(n) for n in a.shape)}]"


class Plan:
    """The program as it runs: simplified, in call-time order, dead lines dropped (``kept``), with
    what each line reads, the large values let go after each line (``freed``), the outputs and
    residuals under their simplified names, the values kept to the end (``final``) and those read
    more than once (``twice``). Code generation prints it; a call before the code exists runs it."""

    __slots__ = ("kept", "reads", "freed", "outputs", "taped_residuals", "final", "twice")


def plan(lines: list, outputs: list, values: dict, taped_residuals: list | None = None, params: Any = ()) -> Plan:
    """The Plan of a traced program computing ``outputs`` (value names or constants)."""
    alias: dict = {}
    lines = ordered(_diagonal_products(_simplified(lines, values, alias), values))
    outputs = [alias.get(o, o) if o.__class__ is str else o for o in outputs]
    taped_residuals = [alias.get(o, o) for o in taped_residuals] if taped_residuals is not None else None
    # which Assign results get stored, and where (at an effect, or at the end)
    pending: dict[int, str] = {}
    stored: set[str] = set()
    for line in lines:
        if line.__class__ is Assign:
            pending[line.var] = line.out
        elif line.__class__ is Effect:
            stored.update(pending.values())
            pending = {}
    stored.update(pending.values())
    # dead-code elimination, backwards from what is returned, checked or stored
    needed = {o for o in outputs if o.__class__ is str}
    needed.update(taped_residuals or ())
    needed |= stored
    # (walking backwards, the first reader of a value seen is its last: noted for `del`)
    kept_back: list = []
    reads_back: list = []
    last_back: dict[str, int] = {}
    twice: set[str] = set()  # the values read more than once
    for line in reversed(lines):
        kind = line.__class__
        if kind is Op:
            out = line.out
            if not (out in needed if out.__class__ is str else any(o in needed for o in out)):
                continue
            names = []
            for a in line.args:
                if a.__class__ is str:
                    names.append(a)
        elif kind is Guard or kind is Effect or line.out in needed:
            names = _reads(line)
        else:
            continue
        j = len(kept_back)
        for name in names:
            if name not in last_back:
                last_back[name] = j
            else:
                twice.add(name)
        needed.update(names)
        kept_back.append(line)
        reads_back.append(names)
    kept = kept_back[::-1]
    reads = reads_back[::-1]
    if params:  # (a line writing a parameter's name would silently change what later lines read)
        written = {o for x in kept for o in _outs(x)}.intersection(params)
        if written:
            raise RuntimeError(f"tg.function: the generated code would overwrite its input {sorted(written)[0]} "
                               "(an internal error: please report it)")
    top = len(kept) - 1
    final = {o for o in outputs if o.__class__ is str} | set(taped_residuals or ()) | set(params) | stored
    freed: dict[int, set] = {}  # line -> the values deleted after it
    for name, j in last_back.items():
        if name not in final and getattr(values.get(name), "nbytes", 0) >= DEL_BYTES:
            freed.setdefault(top - j, set()).add(name)
    planned = Plan()
    planned.kept, planned.reads, planned.freed, planned.outputs = kept, reads, freed, outputs
    planned.taped_residuals, planned.final, planned.twice = taped_residuals, final, twice
    return planned


def _outs(line: Any) -> tuple:
    """The names a line assigns."""
    out = getattr(line, "out", None)
    return () if out is None else out if out.__class__ is tuple else (out,)


def generate(
    lines: list,
    params: list[str],
    slots: list,
    arg_slots: dict,
    outputs: list,
    values: dict,
    taped_residuals: list | None = None,
    title: str = "compiled",
    result: Any = None,
    planned: Plan | None = None,
) -> tuple[str, dict, dict]:
    """Source of ``def <title>(<params>)`` computing ``outputs`` (value names) from the program.
    With ``result`` (a function of the output names giving an expression and its namespace), the
    source of ``def call(L, <params>)`` returning that expression instead, and facts["text"]()
    gives the readable ``def <title>`` source.

    ``slots``: the Variables touched (``arg_slots`` maps a slot to the parameter holding it; the
    others are namespace constants). ``planned``: the program's Plan, when made already. Returns
    (source, namespace, facts).
    """
    if planned is None:
        planned = plan(lines, outputs, values, taped_residuals, params)
    kept, reads, freed, outputs = planned.kept, planned.reads, planned.freed, planned.outputs
    taped_residuals, final, twice = planned.taped_residuals, planned.final, planned.twice
    p = Printer()
    slot_expr = []
    for j, s in enumerate(slots):
        if j in arg_slots:
            slot_expr.append(arg_slots[j])
        else:
            p.namespace[f"w{j}"] = s.var
            slot_expr.append(f"w{j}")
    # A value read once, by an op, is written into that op's expression (fewer statements for
    # compile() to parse, the largest part of a first call; temporaries freed at once), up to
    # INLINE_CHARS: ``v3 = c1 * (x0 ** c0 + x1 * x2)``. Python evaluates operands left to right, so
    # the ops still run in the traced order exactly: the values written into a line are, in the
    # order it reads them, the last ones made before it (``stack``: those waiting, in order); any
    # other line (a guard, a Variable line, an effect, an op reading them in another order) first
    # writes the waiting values out as statements. An op after which a large value is deleted stays
    # a statement, so every ``del`` comes where it came without inlining.
    shared = twice | final  # (a kept op's value not in it is read by one line, once)
    stack: list = []  # (name, expression, precedence): values to write into a later op, in order
    inlined: dict[str, tuple] = {}  # name -> (expression, precedence), of the values in ``stack``
    body: list[str] = []

    def flush(entries: list) -> None:
        for name, text, _ in entries:
            del inlined[name]
            body.append(f"{name} = {text}")

    pending = {}
    for i, line in enumerate(kept):
        kind = line.__class__
        if kind is Op:
            sub = None
            if inlined:
                used = []
                for name in reads[i]:
                    if name in inlined:
                        used.append(name)
                k = len(used)
                if k and k <= len(stack):
                    for j in range(k):
                        if stack[j - k][0] != used[j]:
                            break
                    else:
                        sub = {}
                        for entry in stack[-k:]:
                            sub[entry[0]] = inlined.pop(entry[0])
                        del stack[-k:]
                if k and sub is None:  # read in another order: the waiting values become statements
                    flush(stack)
                    stack = []
            text, prec = p.call(line, sub)
            out = line.out
            deleted = freed.get(i) if freed else None
            if out.__class__ is str and out not in shared and deleted is None and len(text) <= INLINE_CHARS:
                stack.append((out, text, prec))
                inlined[out] = (text, prec)
                continue
            if stack:
                flush(stack)
                stack = []
            target = (", ".join(out) + ("," if len(out) == 1 else "")) if out.__class__ is tuple else out
            body.append(f"{target} = {text}")
            if deleted is not None:
                for name in dict.fromkeys(reads[i]):
                    if name in deleted and (sub is None or name not in sub):  # (no local: written in)
                        body.append(f"del {name}")
            continue
        flush(stack)
        stack = []
        if kind is Load:
            body.append(f"{line.out} = {slot_expr[line.var]}._value")
        elif kind is Assign:
            operand = p.expr(line.operand)
            checked = f'{slot_expr[line.var]}._checked({operand}, "{line.method}")'
            if line.method == "assign":
                body.append(f"{line.out} = {checked}")
            else:
                sign = "+" if line.method == "assign_add" else "-"
                body.append(f"{line.out} = {line.current} {sign} {checked}")
            pending[line.var] = line.out
        elif kind is Guard:
            body.append(_guard(p, line, values))
        elif kind is Effect:
            body.extend(_stores(pending, slot_expr))
            pending = {}
            args = [slot_expr[a[1]] if a.__class__ is tuple else p.expr(a) for a in line.args]
            body.append(f"{p.const(line.fn)}({', '.join(args)})")
        deleted = freed.get(i)
        if deleted is not None:
            for name in dict.fromkeys(reads[i]):
                if name in deleted:
                    body.append(f"del {name}")
    flush(stack)
    assigned: dict[int, list] = {}
    for line in kept:
        if line.__class__ is Assign:
            assigned.setdefault(line.var, []).append(line.out)
    if assigned and not any(line.__class__ is Effect for line in kept):
        # an op that raises after an assignment: eagerly, the assignments before it were made
        pairs = "".join(f"({slot_expr[j]}, {tuple(names)!r}), " for j, names in assigned.items())
        p.namespace["_partial"] = _partial
        body[:] = ["try:", *["    " + b for b in body], "except BaseException:", f"    _partial(locals(), ({pairs}))",
                   "    raise"]
    body.extend(_stores(pending, slot_expr))
    returned = [o if o.__class__ is str else "None" for o in outputs]
    ret = ", ".join(returned + list(taped_residuals or ()))
    body.append(f"return ({ret}{',' if len(returned) + len(taped_residuals or ()) == 1 else ''})")

    def text() -> str:
        n_ops = sum(1 for x in kept if x.__class__ is Op)
        header = [f"# generated by tg.function: {n_ops} primitive calls"]
        for name in params:
            if name in values:
                header.append(f"#   {name}: {_shape_text(values[name])}")
        for name, value in p.constants:
            if isinstance(value, (bool, int, float, np.number)) and not isinstance(value, np.ndarray):
                # (NumPy's own repr would load its printing machinery: 10 ms on a first trace)
                shown = repr(value.item()) if isinstance(value, np.number) else repr(value)
                kind = f" ({_dtype_name(value.dtype)})" if isinstance(value, np.number) else ""
                header.append(f"#   {name} = {shown}{kind}")
            elif isinstance(value, np.ndarray):
                header.append(f"#   {name}: constant {_shape_text(value)}")
        return "\n".join(header + [f"def {title}({', '.join(params)}):"] + ["    " + b for b in body]) + "\n"

    facts: dict[str, Any] = {"ops": len(kept)}
    if result is None:
        return text(), p.namespace, facts
    # the same body returning the user's structure of Tensors, `call(L, ...)`; the readable text
    # (``title``, with a header of shapes and constants) only when asked: facts["text"]()
    returns, extra = result(outputs)
    p.namespace.update(extra)
    calls = body[:-1] + [f"return {returns}"]
    facts["text"] = lambda: text()[:-1]  # (no final newline, as printed before)
    return "\n".join([f"def call(L, {', '.join(params)}):"] + ["    " + b for b in calls]) + "\n", p.namespace, facts


def _simplified(lines: list, values: dict, alias: dict) -> list:
    """Simplify the program without changing a bit of any value:

    * ops whose output is their input object (identity, stop_gradient) are dropped;
    * a product with a constant of ones (a seed of ones) that neither broadcasts nor casts is its
      other factor (x * 1.0 == x exactly for real floats);
    * an op repeated with the same arguments and parameters is computed once (common
      subexpressions: nested derivatives recompute sin(x), cos(x), ...). Primitives are pure NumPy.
    """
    seen: dict = {}
    ones: dict = {}
    out = []
    for line in lines:
        kind = line.__class__
        if kind is Op:
            args = [alias.get(a, a) if a.__class__ is str else a for a in line.args] if alias else line.args
            if line.out.__class__ is tuple:
                key = _cse_key(line, args)
                earlier = seen.get(key) if key is not None else None
                if earlier is not None:
                    alias.update(zip(line.out, earlier))
                    continue
                if key is not None:
                    seen[key] = line.out
                out.append(Op(line.prim, args, line.params, line.out, line.value))
                continue
            if len(args) == 1 and args[0].__class__ is str and line.value is values.get(args[0]) and not line.params:
                alias[line.out] = args[0]
                continue
            if len(args) == 2 and not line.params and line.prim.impl in _MULS:
                other = _times_ones(line, args, values, ones)
                if other is not None:
                    alias[line.out] = other
                    continue
            key = _cse_key(line, args)
            if key is not None:
                earlier = seen.get(key)
                if earlier is not None:
                    alias[line.out] = earlier
                    continue
                seen[key] = line.out
            if args != line.args:
                line = Op(line.prim, args, line.params, line.out, line.value)
        elif kind is Guard and line.name in alias:
            line = Guard(alias[line.name], line.what, line.expected)
        elif kind is Assign and (line.operand in alias if line.operand.__class__ is str else False):
            line = Assign(line.var, line.method, alias[line.operand], line.current, line.out, line.value)
        elif kind is Effect:
            line = Effect(line.fn, [alias.get(a, a) if a.__class__ is str else a for a in line.args])
            seen.clear()  # (values do not change, but keep effects as barriers for readers of the code)
        out.append(line)
    return out


def ordered(lines: list) -> list:
    """The program's lines in the order they run at call time: effects sunk, guards hoisted."""
    return _hoisted(_sunk(lines))


def guard_after_effect(lines: list) -> bool:
    """Whether a guard still comes after a side effect at call time: a failing check there could
    not undo the effect, so such a program runs eagerly."""
    seen_effect = False
    for line in ordered(lines):
        kind = line.__class__
        if kind is Effect:
            seen_effect = True
        elif kind is Guard and seen_effect:
            return True
    return False


def _sunk(lines: list) -> list:
    """Each side effect (an optimizer step, tg.print) moved down past the ops and guards that follow
    it, up to the next line that reads or writes a Variable or the next effect.

    Those ops are pure and read no value the effect changes (a Variable read after the effect is a
    Load line, where the move stops), so they compute the same numbers; and the guards among them
    (Python code that branched on a value after the step) are then checked before the step, so a
    failing one can return before a change that could not be undone."""
    if not any(line.__class__ is Effect for line in lines):
        return lines
    out = list(lines)
    for i in reversed(range(len(out))):  # the last effect first: an earlier one stops at it
        if out[i].__class__ is Effect:
            j = i
            while j + 1 < len(out) and (out[j + 1].__class__ is Op or out[j + 1].__class__ is Guard):
                j += 1
            out.insert(j, out.pop(i))
    return out


def _hoisted(lines: list) -> list:
    """Each guard moved up to just after the line that makes the value it checks (inputs: first).

    A value never changes, so checking it earlier gives the same answer; a failing guard then
    returns before later work, and above all before a side effect (an optimizer step, tg.print)
    that came between the value and the Python code that read it, which could not be undone."""
    if not any(line.__class__ is Guard for line in lines):
        return lines
    made: dict[str, int] = {}
    for i, line in enumerate(lines):
        out = getattr(line, "out", None)
        for name in out if out.__class__ is tuple else (out,):
            if name is not None:
                made.setdefault(name, i)
    after: dict[int, list] = {}
    for line in lines:
        if line.__class__ is Guard:
            after.setdefault(made.get(line.name, -1), []).append(line)
    out = after.get(-1, [])
    for i, line in enumerate(lines):
        if line.__class__ is not Guard:
            out.append(line)
            out.extend(after.get(i, ()))
    return out


def _times_ones(line: Op, args: list, values: dict, ones: dict) -> str | None:
    """The factor ``x`` of ``x * ones`` (or ``ones * x``) when the product is ``x`` bit for bit.
    ``ones``: id of a constant -> whether it may be ones (decided once per constant)."""
    for i in (0, 1):  # (the caller checked: two arguments, no parameters, a product)
        c, x = args[i], args[1 - i]
        if c.__class__ is str or x.__class__ is not str:
            continue
        v, xv = c.value, values.get(x)
        maybe = ones.get(id(v))
        if maybe is None:
            maybe = ones[id(v)] = _maybe_ones(v)
        if not maybe or xv is None:
            continue
        try:  # (v is ones: checked once)
            xd = np.asarray(xv).dtype
            if xd.kind != "f" or np.asarray(v).dtype != xd or np.shape(line.value) != np.shape(xv):
                continue
            if np.asarray(line.value).dtype != xd:
                continue
        except (TypeError, ValueError):
            continue
        return x
    return None


def _maybe_ones(v: Any) -> bool:
    """Whether ``v`` is a float (array) of ones: the rest of ``_times_ones``'s test depends on the
    other factor."""
    if v.__class__ is float or isinstance(v, np.floating):
        return v == 1
    if v.__class__ is not np.ndarray or v.dtype.kind != "f":
        return False
    try:
        return bool(np.all(v == 1))
    except (TypeError, ValueError):
        return False


# ---- products with diagonal matrices --------------------------------------------------------------
# A Jacobian in reverse mode seeds its batched walk with an identity matrix (constant folding may
# scale it); the elementwise rules scale it further (tanh's VJP: eye * (1 - y*y)), and a matmul's
# VJP multiplies the diagonal matrix D with a dense M: an n^3 product whose every term but one is
# a zero. When D's diagonal is finite (so its scale factors are finite and its off-diagonal
# entries are zeros, of either sign) and M is finite, each entry of the product is D[i,i]*M[i,j]
# plus zeros: exactly that one rounded product, unless it is zero (then the sign of the sum's zero
# depends on the order of additions). A non-finite factor or entry of M would make NaNs in other
# rows or columns (0*inf): the check of D's diagonal and of M excludes both. So the generated
# code computes the diagonal and scales the rows (columns) of M, and falls back to the literal ops
# when that check fails: bit for bit the eager result either way.
class _Rewritten:
    """Stands for a primitive in a rewritten line (code generation reads ``name`` and ``impl``)."""

    __slots__ = ("name", "impl")

    def __init__(self, name: str, impl: Any) -> None:
        self.name, self.impl = name, impl


_MUL, _RMUL, _DIV = 0, 1, 2  # how a step applies a factor f to D: D * f, f * D, D / f


def diagonal_matmul(m: Any, d0: np.ndarray, *factors: Any, steps: tuple, left: bool, m_min: Any) -> Any:
    """``np.matmul(D, m)`` (``left``) or ``np.matmul(m, D)`` for ``D`` the constant diagonal matrix
    ``d0`` with ``factors`` applied by ``steps`` (elementwise; each factor holds one value per row
    or column of D, or one value), bit for bit, in O(n^2) instead of O(n^3) when that is exact.

    ``m_min``: None when ``m`` is read at call time (checked here), else the least magnitude of
    the constant ``m``, known to be finite (0.0 if it has a zero: the product is checked instead).
    """
    with np.errstate(all="ignore"):  # (the fallback raises eager's warnings, if any)
        u = np.diagonal(d0)
        for f, step in zip(factors, steps):
            u = u / np.ravel(f) if step == _DIV else u * np.ravel(f)
        if np.isfinite(u).all() and (m_min is not None or np.isfinite(m).all()):
            if not left:
                r = np.multiply(m, u, order="C")
            elif m.ndim == 2:
                r = np.multiply(u.reshape(-1, 1), m, order="C")
            else:
                r = u * m
            # no zero in r (an overflow to inf is what the matmul gives too): rounding is monotonic,
            # so the least product of magnitudes bounds them all
            if (m_min and np.abs(u).min() * m_min > 0.0) or r.all():
                return r
    d = d0
    for f, step in zip(factors, steps):
        d = d * f if step == _MUL else f * d if step == _RMUL else d / f
    return np.matmul(d, m) if left else np.matmul(m, d)


_DIAGONAL_MATMUL = _Rewritten("diagonal_matmul", diagonal_matmul)
_MULS = (operator.mul, np.multiply)
_DIVS = (operator.truediv, np.true_divide)
_MATMULS = (operator.matmul, np.matmul)


def _is_diagonal(v: Any) -> bool:
    """A square float64 matrix whose off-diagonal entries are zeros."""
    if v.__class__ is not np.ndarray or v.ndim != 2 or v.shape[0] != v.shape[1] or v.dtype != np.float64:
        return False
    return np.count_nonzero(v) == np.count_nonzero(v.diagonal())


def _diag_factor(v: Any, n: int) -> bool:
    """Whether ``v`` scales an n-by-n D elementwise by one float64 per row or column (or one in all)."""
    if v.__class__ is float:
        return True
    if not isinstance(v, (np.ndarray, np.floating)) or v.dtype != np.float64:
        return False
    shape = np.shape(v)
    return len(shape) <= 2 and (v.size == 1 or (v.size == n and (len(shape) == 1 or 1 in shape)))


def _diagonal_products(lines: list, values: dict) -> list:
    """Replace a matmul of a (scaled) diagonal constant and a float64 matrix by ``diagonal_matmul``."""
    for line in lines:  # (a D is the value of a product or quotient, a matrix: most programs have none)
        if line.__class__ is Op and line.value.__class__ is np.ndarray and line.value.ndim == 2:
            break
    else:
        return lines
    diag: dict[str, tuple] = {}  # value name -> (diagonal constant, factors, steps)
    out = []
    for line in lines:
        if line.__class__ is not Op or line.params or len(line.args) != 2 or line.out.__class__ is tuple:
            out.append(line)
            continue
        impl, (a, b), value = line.prim.impl, line.args, line.value
        if value.__class__ is not np.ndarray:
            pass
        elif impl in _MULS or impl in _DIVS:
            if value.ndim == 2 and value.dtype == np.float64:
                _scaled(line, a, b, impl in _MULS, diag, values)
        elif diag and impl in _MATMULS and value.dtype == np.float64:  # (a product needs a noted D)
            for d, m, left in ((a, b, True), (b, a, False)):
                if d.__class__ is not str or d not in diag:
                    continue
                mv = m.value if m.__class__ is Const else values.get(m)
                if mv.__class__ is not np.ndarray or mv.dtype != np.float64 or mv.ndim not in (1, 2):
                    continue
                if mv.size == 0 or (m.__class__ is Const and not np.isfinite(mv).all()):
                    continue
                d0, factors, steps = diag[d]
                m_min = float(np.abs(mv).min()) if m.__class__ is Const else None
                params = {"steps": steps, "left": left, "m_min": m_min}
                line = Op(_DIAGONAL_MATMUL, [m, d0, *factors], params, line.out, value)
                break
        out.append(line)
    return out


def _scaled(line: Op, a: Any, b: Any, mul: bool, diag: dict, values: dict) -> None:
    """Note ``line.out`` in ``diag`` when it scales a diagonal constant (or a noted value) elementwise."""
    n = line.value.shape[0]
    if n == 0:
        return
    for d, f, step in ((a, b, _MUL if mul else _DIV), (b, a, _RMUL)):
        if step == _RMUL and not mul:
            return
        fv = f.value if f.__class__ is Const else values.get(f)
        if not _diag_factor(fv, n):
            continue
        if d.__class__ is Const:
            if d.value.__class__ is np.ndarray and d.value.shape == line.value.shape and _is_diagonal(d.value):
                diag[line.out] = (d, (f,), (step,))
                return
        elif d in diag:
            d0, factors, steps = diag[d]
            diag[line.out] = (d0, factors + (f,), steps + (step,))
            return


def _cse_key(line: Op, args: list) -> Any:
    """What makes two ops compute the same value: the function (by identity), the arguments (value
    names, and constants by identity: an int is never equal to a name) and the parameters; None:
    unhashable parameters."""
    if len(args) == 2:  # (the common case, without a list)
        a, b = args
        parts: tuple = (a if a.__class__ is str else id(a.value), b if b.__class__ is str else id(b.value))
    else:
        parts = tuple([a if a.__class__ is str else id(a.value) for a in args])
    if not line.params:
        return (id(line.prim.impl), parts)
    try:
        key = (id(line.prim.impl), parts, tuple(sorted(line.params.items())))
        hash(key)
    except TypeError:
        return None
    return key


def _guard(p: Printer, line: Guard, values: dict) -> str:
    name, what, expected = line.name, line.what, line.expected
    scalar = np.ndim(values.get(name)) == 0
    if what == "bool":
        test = name if scalar else f"_truth({name})"
        return f"if {'not ' if expected else ''}{test}: return _RETRACE"
    if what in ("int", "index"):
        return f"if _int({name}) != {expected!r}: return _RETRACE"
    return f"if _bits({name}) != {p.const(expected)}: return _RETRACE"


def _partial(local: dict, pairs: tuple) -> None:
    """Store into each Variable its last new value made before an op raised (as eagerly)."""
    for var, names in pairs:
        for name in reversed(names):
            if name in local:
                var._value = local[name]
                var._snapshot = None
                break


def _stores(pending: dict, slot_expr: list) -> list[str]:
    out = []
    for j, name in pending.items():
        out.append(f"{slot_expr[j]}._value = {name}")
        out.append(f"{slot_expr[j]}._snapshot = None")
    return out


def compile_source(source: str, namespace: dict, title: str) -> Any:
    """Execute the generated source (ours only) and return the function; tracebacks show its lines."""
    exec(_code(source), namespace)  # noqa: S102 - source printed from the rule table
    return namespace[title]


@functools.lru_cache(maxsize=512)
def _code(source: str) -> Any:
    """The code object of a source, compiled once per process: a trace for a new shape (or a new
    tg.function of the same code) often prints the same text, its constants being in the namespace,
    and Python's compile() is the largest part of a first call (~40% for the seeds' function)."""
    _counter[0] += 1
    filename = f"<tg.function #{_counter[0]}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    return compile(source, filename, "exec")


__all__ = ["RETRACE", "generate", "plan", "Plan", "compile_source", "Const", "ordered", "guard_after_effect"]
