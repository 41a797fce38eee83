"""Forward mode: ForwardAccumulator (dual numbers, as TensorFlow's) and the forward walk over a
tape's records (``forward_walk``, beside the reverse walk of ``backward.py``).

While active, every op whose inputs carry tangents gets its output tangent from the ops' JVP rules.
The JVP computation is visible to the recorders entered *before* this accumulator (so an outer tape
can differentiate it: forward-over-reverse and reverse-over-forward), never to itself or to those
entered after it.
"""

from __future__ import annotations

import threading
from typing import Any, Sequence

import numpy as np

from tapegrad import _context
from tapegrad._context import RAW
from tapegrad._dtypes import python_to_array
from tapegrad._primitive import add_tangents
from tapegrad._structure import flatten, unflatten
from tapegrad._tensor import Tensor, Variable, key_of, ops, wrap
from tapegrad.backward import UnconnectedGradients, as_tensors, as_unconnected
from tapegrad.batching import direct_jvp, stacked_jvp


class ForwardAccumulator:
    """Compute Jacobian-vector products of everything computed from ``primals`` inside the block.

    ``with tg.ForwardAccumulator(x, v) as acc: y = f(x)`` then ``acc.jvp(y)`` is J_f(x) @ v.
    Like a tape, it follows only the operations of the thread that entered it.
    """

    is_tape = False

    def __init__(self, primals: Any, tangents: Any) -> None:
        p_leaves, p_def = flatten(primals)
        t_leaves = [tangents] if isinstance(primals, Tensor) else flatten(tangents)[0]
        if len(p_leaves) != len(t_leaves):
            raise ValueError(
                f"ForwardAccumulator got {len(p_leaves)} primals but {len(t_leaves)} tangents; "
                "give one tangent per primal"
            )
        self._tangents: dict[int, Any] = {}  # tensor key -> tangent
        self._variables: dict[int, tuple[Variable, Any]] = {}  # id(variable) -> (it, its tangent)
        for i, (p, t) in enumerate(zip(p_leaves, t_leaves)):
            if isinstance(p, Variable):
                ref = p.snapshot()
                tangent = self._checked_tangent(t, ref, i)
                self._variables[id(p)] = (p, tangent)  # holding p keeps its id from being reused
                self._tangents[key_of(ref)] = tangent
            elif isinstance(p, Tensor):
                self._tangents[key_of(p)] = self._checked_tangent(t, p, i)
            else:
                raise TypeError(
                    f"ForwardAccumulator primal {i} is a {type(p).__name__}; primals must be tg.Tensors or "
                    "tg.Variables (convert with tg.constant)"
                )
        self._thread: int | None = None

    @staticmethod
    def _checked_tangent(t: Any, primal: Tensor, i: int) -> Any:
        if t is None:
            raise TypeError(f"ForwardAccumulator tangent {i} is None; give an array shaped like its primal")
        if primal.dtype.kind != "c" and np.iscomplexobj(t._value if isinstance(t, Tensor) else t):
            raise TypeError(
                f"ForwardAccumulator tangent {i} is complex but its primal has dtype {primal.dtype}: a real "
                "primal moves along real directions only (the imaginary part would be dropped)"
            )
        value = t if isinstance(t, Tensor) else wrap(python_to_array(t, primal.dtype))
        if value.shape != primal.shape:
            raise ValueError(
                f"ForwardAccumulator tangent {i} has shape {value.shape} but its primal has shape {primal.shape}"
            )
        if value.dtype != primal.dtype:
            value = ops.cast(value, primal.dtype)
        return value

    def __enter__(self) -> ForwardAccumulator:
        _context.push(self)
        self._thread = threading.get_ident()
        return self

    def __exit__(self, *exc: Any) -> None:
        _context.exit_in_own_thread(self, "ForwardAccumulator")

    def tracks(self, key: Any) -> bool:
        """True when the tensor with this key carries a tangent."""
        return key in self._tangents

    def on_variable_read(self, var: Variable, snap: Tensor) -> None:
        entry = self._variables.get(id(var))
        if entry is not None and snap._key not in self._tangents:
            self._tangents[key_of(snap)] = entry[1]

    def record(self, prim: Any, args: tuple, vals: list, params: dict, out: Any) -> None:
        tangents = self._tangents
        incoming = [tangents.get(a._key) if a.__class__ is Tensor else None for a in args]
        if all(t is None for t in incoming) or prim.joint_jvp is None:
            return
        several = out.__class__ is tuple
        if not several and out._value.dtype.kind not in "fc":
            return
        stack = _context.state.recorders
        outer = stack[: stack.index(self)] if stack is not RAW and self in stack else ()
        _context.state.recorders = outer if outer else RAW
        try:
            if outer:
                inputs, ans = args, out
                incoming = [t if t is None or isinstance(t, Tensor) else wrap(t) for t in incoming]
            else:
                inputs, ans = vals, tuple(o._value for o in out) if several else out._value
                incoming = [t._value if isinstance(t, Tensor) else t for t in incoming]
            tangent = output_tangent(prim, incoming, ans, inputs, params)
        finally:
            _context.state.recorders = stack
        if several:
            for o, t in zip(out, tangent or ()):
                if t is not None and o._value.dtype.kind in "fc":
                    self._tangents[key_of(o)] = t
        elif tangent is not None:
            self._tangents[key_of(out)] = tangent

    def jvp(self, primals: Any, unconnected_gradients: Any = UnconnectedGradients.NONE) -> Any:
        """The tangent (J @ v) of each tensor in ``primals`` (a tensor or nested structure)."""
        unconnected = as_unconnected(unconnected_gradients)
        leaves, treedef = flatten(primals)
        out = []
        for p in leaves:
            if isinstance(p, Variable):
                p = p.snapshot()
            if not isinstance(p, Tensor):
                raise TypeError(f"jvp() takes tg.Tensors, got {type(p).__name__}")
            t = self._tangents.get(p._key)
            if t is None:
                out.append(None if unconnected is UnconnectedGradients.NONE else wrap(np.zeros_like(p._value)))
            else:
                out.append(t if isinstance(t, Tensor) else wrap(t))
        return unflatten(treedef, out)


def output_tangent(prim: Any, incoming: list, ans: Any, inputs: Any, params: dict) -> Any:
    """The output tangent (a tuple for several outputs) from the inputs' ones."""
    jvps = prim.jvps
    if jvps is None:
        tangent = prim.joint_jvp(incoming, ans, *inputs, **params)
    else:  # per-argument rules, summed (what the assembled joint rule does, one call less)
        tangent = None
        for i, t in enumerate(incoming):
            if t is None:
                continue
            rule = jvps[i]
            if rule is None:
                continue
            contribution = rule(t, ans, *inputs, **params) if params else rule(t, ans, *inputs)
            tangent = contribution if tangent is None else add_tangents(tangent, contribution)
    if ans.__class__ is tuple:
        return None if tangent is None else tuple(_fitted(t, a) for t, a in zip(tangent, ans))
    return _fitted(tangent, ans)


def _fitted(tangent: Any, ans: Any) -> Any:
    """A tangent broadcast to its output's shape and cast to its dtype."""
    if tangent is None:
        return None
    if tangent.shape != ans.shape:
        tangent = ops.broadcast_to(tangent, ans.shape)
    dtype = ans.dtype
    if tangent.dtype != dtype:
        tangent = ops.cast(tangent, dtype)
    return tangent


def forward_walk(
    records: Sequence[tuple], tangents: dict, raw: bool, batch: int | None = None, keep: set | None = None
) -> dict:
    """Propagate tangents forwards through recorded ``records`` (a tape's, in execution order).

    ``tangents`` maps tensor keys to tangents (never None) and is extended in place with the tangent
    of every record output that depends on one; it is also returned. With ``raw`` the JVP rules run
    on plain NumPy values and nothing records them; otherwise they run on Tensors so that enclosing
    tapes and accumulators record this computation (higher order). With ``batch``, every tangent is
    a stack of that many (a leading axis) and the rules run on stacks (``batching``): a whole
    Jacobian in one walk. With ``keep``, only those keys' tangents are wanted: the others are
    dropped after their last use, so the walk holds as few stacks as the reverse walk does.
    """
    last_use: dict = {}  # key -> the last record that reads it (a kept key: past the last record)
    if keep is not None:  # Record.keys is record[5]
        last_use = {used: k for k, record in enumerate(records) for used in record[5]}
        last_use.update(dict.fromkeys(keep, len(records)))
    get = tangents.get
    untouched = tangents.keys().isdisjoint  # True for a record none of whose arguments has a tangent
    saved = _context.state.recorders
    if raw:
        _context.state.recorders = RAW
    try:
        for k, record in enumerate(records):
            prim, inputs, params, ans, _needs, keys, key = record
            if untouched(keys):
                continue
            if prim.joint_jvp is None:
                raise NotImplementedError(
                    f"tg.{prim.name} has no JVP rule, so forward mode cannot go through it; use mode='reverse'"
                )
            incoming = list(map(get, keys))  # (a key None, for an argument that is no Tensor, gets None)
            if batch is None:
                if not raw:
                    inputs, ans = as_tensors(record)
                tangent = output_tangent(prim, incoming, ans, inputs, params)
            elif prim.partials is not None or prim.linear and prim.batch is not None:
                if not raw:  # (a raw walk: plain values, RAW)
                    inputs, ans = as_tensors(record)
                tangent = direct_jvp(prim, incoming, batch, ans, inputs, params, raw)
            else:
                inputs, ans = as_tensors(record)
                tangent = stacked_jvp(prim, incoming, batch, ans, inputs, params, raw)
            if key.__class__ is tuple:
                for kj, tj in zip(key, tangent or ()):
                    if tj is not None and (keep is None or last_use.get(kj, -1) > k):
                        tangents[kj] = tj
            elif tangent is not None and (keep is None or last_use.get(key, -1) > k):
                tangents[key] = tangent
            if keep is not None:
                for used in keys:
                    if last_use[used] == k:
                        tangents.pop(used, None)
    finally:
        _context.state.recorders = saved
    return tangents
