"""``tape.explain(target, source)``: one sentence on why ``tape.gradient(target, source)`` is None.

The common reasons, each recognised from what the tape keeps (its records, the ids it tracks, the
tensors and Variables it watches, and the watch requests it ignored):

* the source was never watched (a constant without ``tape.watch``), or is a non-trainable Variable,
  or a Variable never read inside the ``with`` block;
* the source has an integer/bool dtype, which has no gradient;
* the target was not recorded: computed before or after the ``with`` block, inside
  ``stop_recording()``, or from a value that left the tape through ``.numpy()``/``float()``;
* the target was recorded but does not depend on the source;
* or they are connected, and the sentence names the recorded path.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tapegrad._record import Meta, Record
from tapegrad._tensor import Tensor, Variable

__all__ = ["explain_gradient"]


class Explanation(str):
    """The sentence explain_gradient returns: a str that shows as plain text in a REPL or Jupyter."""

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        import html

        return f"<p style='white-space: pre-wrap'>{html.escape(str(self))}</p>"


def _as_explanation(explain: Any) -> Any:
    import functools

    @functools.wraps(explain)
    def explained(*args: Any, **kwargs: Any) -> Explanation:
        return Explanation(explain(*args, **kwargs))

    return explained


@_as_explanation
def explain_gradient(tape: Any, target: Any, source: Any) -> str:
    """One sentence saying why ``tape.gradient(target, source)`` is None, or that it is connected."""
    src_name = _name(source, "the source")
    if tape.released:
        return (
            "This non-persistent tape already answered gradient() once and forgot its records; create it "
            "with tg.GradientTape(persistent=True) to ask it several times."
        )
    if not isinstance(source, Tensor):
        return (
            f"The source is a {_typename(source)}, not a tg.Tensor or tg.Variable, so there is nothing "
            "to differentiate with respect to; wrap it with tg.constant(...) and tape.watch it (or use tg.Variable)."
        )
    if isinstance(target, Variable):
        target = target.snapshot()
    if not isinstance(target, Tensor):
        return (
            f"The target is a {_typename(target)}, not a tensor: it was turned into plain numbers "
            "(.numpy(), float(), np.asarray), which the tape cannot follow; keep the computation in tapegrad ops."
        )

    # ---- the source's keys on the tape -------------------------------------------------------------
    if isinstance(source, Variable):
        snapshots = tape.variable_snapshots(source)
        if not snapshots:
            if not source.trainable:
                return (
                    f"The Variable {src_name} is not trainable (trainable=False), so the tape does not watch "
                    f"it when it is read; call tape.watch({_ref(source)}) inside the `with` block."
                )
            if not tape.watches_accessed_variables:
                return (
                    f"The tape was created with watch_accessed_variables=False and the Variable {src_name} was "
                    f"never watched; call tape.watch({_ref(source)}) inside the `with` block."
                )
            return (
                f"The Variable {src_name} was never read inside the tape's `with` block, so nothing the tape "
                "recorded depends on it; compute the target from it inside the block."
            )
        keys = {s._key for s in snapshots}
    else:
        if source._value.dtype.kind not in "fc":
            return (
                f"{_cap(src_name)} has the {source.dtype.name} dtype, and integer/bool tensors have no gradient; "
                "create it as a float (tg.constant(2.0)) or convert it with tg.cast(x, tg.float32)."
            )
        if not tape.tracks(source._key):
            return (
                f"{_cap(src_name)} was never watched by this tape, so the tape did not record what was computed "
                "from it; call tape.watch(x) inside the `with` block before using it (or make it a tg.Variable)."
            )
        keys = {source._key}

    records = tape.records
    target_key = target._key
    if target_key in keys:
        return "Connected: the target is the source itself, so its gradient is ones."

    produced = _producers(records)
    if target_key in produced:
        path = _path(records, produced, target_key, keys)
        if path is not None:
            ops = " -> ".join(records[k].op for k in path)
            return (
                f"Connected: the target depends on {src_name} through {len(path)} recorded "
                f"operation{'s' if len(path) != 1 else ''} ({ops}), so tape.gradient returns a tensor."
            )
        copy = _constant_copy(records, produced, target_key, keys)
        if copy is not None:
            return (
                f"The target does not depend on {src_name} on this tape: one of its inputs is a constant equal "
                f"to the recorded result of {copy}, most likely a .numpy()/float()/tg.constant copy that cut "
                "the connection; use the tensor itself."
            )
        return (
            f"The target was recorded but does not depend on {src_name}: none of the recorded operations "
            "leading to it uses the source."
        )

    # ---- the target was not recorded at all ---------------------------------------------------------
    stops = tape.stop_count
    exported = [t for t in tape.exported if t._key in _reached(records, keys)]
    reached = _reached(records, keys)
    same = _equal_value(records, target, reached, source)
    if same is not None:
        return (
            f"The target is not on the tape although it equals the recorded {same}: it is a copy made through "
            ".numpy(), float() or tg.constant(...), which the tape cannot follow; use the tensor itself."
        )
    if exported:
        last = exported[-1]
        return (
            f"The target is not on the tape: a recorded tensor that depends on {src_name} (value {_fmt(last)}) "
            "was turned into plain numbers with .numpy() or float() inside the `with` block, and what is "
            "computed from that value is a constant to the tape; keep the computation in tapegrad ops."
        )
    if stops:
        return (
            "The target is not on the tape, and this tape was paused with tape.stop_recording(), where nothing "
            "is recorded: compute the target outside that block (or it was made outside the `with` block)."
        )
    if not records:
        return (
            "The target is not on the tape, which recorded no operation on watched tensors at all: it was "
            "computed before or after the `with` block, inside tape.stop_recording(), or in another thread (a "
            f"tape records only the thread that entered it); compute it from {src_name} inside the block."
        )
    sinks = _sinks(records, reached)
    if sinks:
        last = records[sinks[-1]]
        return (
            f"The target is not on the tape: the last recorded result that depends on {src_name} is "
            f"{last.op} (value {_fmt(last.outputs[-1])}), and the target was computed from something else, outside "
            "the `with` block, inside tape.stop_recording(), in another thread (a tape records only the thread "
            "that entered it), or after a .numpy()/float() round trip."
        )
    return (
        "The target is not on the tape: it was computed outside the `with` block, inside "
        "tape.stop_recording(), or from values that left the tape (.numpy(), float()); compute it from "
        f"{src_name} inside the block."
    )


# ---- helpers -------------------------------------------------------------------------------------
def _name(x: Any, default: str) -> str:
    if isinstance(x, Variable):
        return f"'{x.name}'"
    return default


def _typename(x: Any) -> str:
    t = type(x)
    module = t.__module__.split(".")[0]
    return t.__qualname__ if module == "builtins" else f"{module}.{t.__qualname__}"


def _ref(var: Variable) -> str:
    name = var.name
    return name if name.isidentifier() and name != "Variable" else "variable"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _path(records: list, produced: dict, target_key: int, keys: set) -> list[int] | None:
    """Record indices of one recorded path from a source key to the target, in execution order."""
    parent: dict[int, int | None] = {target_key: None}  # tensor key -> key of the tensor it leads to
    queue = [target_key]
    while queue:
        key = queue.pop()
        k = produced.get(key)
        if k is None:
            continue
        needs, arg_keys = records[k].needs, records[k].keys
        for i in needs:
            a = arg_keys[i]
            if a in parent:
                continue
            parent[a] = key
            if a in keys:
                path = []
                node: int | None = a
                while node is not None:
                    nxt = parent[node]
                    if nxt is not None:
                        path.append(produced[nxt])
                    node = nxt
                return path
            queue.append(a)
    return None


def _producers(records: tuple[Record, ...]) -> dict[int, int]:
    """Tensor key -> index of the record that computed it."""
    return {key: k for k, r in enumerate(records) for key in r.output_keys}


def _reached(records: list, keys: set) -> set[int]:
    """Keys of the recorded results that depend on the source."""
    reached = set(keys)
    for r in records:
        if any(r.keys[i] in reached for i in r.needs):
            reached.update(r.output_keys)
    return reached


def _sinks(records: list, reached: set) -> list[int]:
    """Records whose result depends on the source and is used by no later record."""
    used = {k for r in records for k in r.keys}
    return [k for k, r in enumerate(records) if any(o in reached and o not in used for o in r.output_keys)]


def _equal_value(records: list, target: Tensor, reached: set, source: Tensor) -> str | None:
    """A recorded tensor depending on the source with exactly the target's value (a copy), described."""
    value = target._value
    if _same(source._value, value):
        return f"source (value {_fmt(source)})"
    for r in reversed(records):
        for key, ans in zip(r.output_keys, r.outputs):
            if key in reached and _same(ans, value):
                return f"result of {r.op} (value {_fmt(ans)})"
    return None


def _constant_copy(records: list, produced: dict, target_key: int, keys: set) -> str | None:
    """An untracked constant input of the target's records equal to a source-dependent result."""
    reached = _reached(records, keys)
    candidates = [
        (r.op, ans) for r in records for key, ans in zip(r.output_keys, r.outputs)
        if key in reached and not isinstance(ans, Meta)
    ]
    if not candidates:
        return None
    seen: set[int] = set()
    stack = [target_key]
    while stack:
        key = stack.pop()
        k = produced.get(key)
        if k is None or k in seen:
            continue
        seen.add(k)
        vals, needs, arg_keys = records[k].vals, records[k].needs, records[k].keys
        for i, a in enumerate(vals):
            if i in needs:
                stack.append(arg_keys[i])
                continue
            if arg_keys[i] is None or isinstance(a, Meta):  # not a tensor, or a value the record did not keep
                continue
            for op, ans in candidates:
                if _same(ans, a) and np.size(a) > 0:
                    return f"{op} (value {_fmt(ans)})"
    return None


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, Meta) or isinstance(b, Meta):  # a value the tape did not keep
        return False
    return np.shape(a) == np.shape(b) and bool(np.array_equal(a, b))


def _fmt(t: Any) -> str:
    if isinstance(t, Meta):
        return f"array of shape {t.shape}, not kept"
    v = np.asarray(t._value if isinstance(t, Tensor) else t)
    if v.ndim == 0:
        return f"{float(v):.6g}" if v.dtype.kind in "fc" else str(v[()])
    return f"array of shape {v.shape}"
