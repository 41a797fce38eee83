"""GradientTape: records the operations on watched tensors, then differentiates them in reverse."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from types import MappingProxyType
from typing import Any, Iterator

import numpy as np

from tapegrad import _backend, _context, _primitive
from tapegrad._primitive import ALL, slim
from tapegrad._record import Meta, Record, as_records
from tapegrad._structure import flatten, unflatten
from tapegrad._tensor import Tensor, Variable, key_of, new_key, ops, wrap
from tapegrad.backward import UnconnectedGradients, as_target_list, as_unconnected, finish, seed_value, walk
from tapegrad.batching import in_chunks

_FIRST, _SECOND, _BOTH = (0,), (1,), (0, 1)
_NO_PARAMS = MappingProxyType({})
ndarray = np.ndarray


class GradientTape:
    """Record operations for automatic differentiation (TensorFlow's ``tf.GradientTape``).

    Trainable Variables read inside the ``with`` block are watched automatically; other tensors
    after ``tape.watch(x)``. ``tape.gradient(target, sources)`` then runs one reverse pass. A
    gradient computed while another tape records is itself recorded, so tapes nest to any order.

    A tape records the operations of the thread that entered it, and only those (as TensorFlow's):
    work done in other threads (a thread pool, a data loader) is not recorded, and ``gradient()``
    of such a result is None. Enter and exit it in the same thread; exiting it from another one is
    an error.
    """

    is_tape = True

    def __init__(self, persistent: bool = False, watch_accessed_variables: bool = True) -> None:
        self._persistent = bool(persistent)
        self._watch_accessed = bool(watch_accessed_variables)
        self._records: list = []
        self._tracked: set[int] = set()  # keys of tensors that depend on a watched tensor
        self._watched: list[Tensor] = []  # the watched tensors themselves (graph() draws them)
        self._variables: dict[int, tuple[Variable, list[Tensor]]] = {}  # id(variable) -> it, its snapshots
        self._stops = 0  # how often stop_recording() paused this tape (for explain)
        self._exported: list[Tensor] = []  # recorded tensors turned into plain numbers (.numpy(), float())
        self._entered = False
        self._released = False
        self._thread: int | None = None  # the thread that entered the tape: the only one it records

    # ---- context ----------------------------------------------------------------------------
    def __enter__(self) -> GradientTape:
        if self._released:
            raise RuntimeError("this non-persistent tape was already used by gradient(); create a new GradientTape")
        _context.push(self)
        self._entered = True
        self._thread = threading.get_ident()
        return self

    def __exit__(self, *exc: Any) -> None:
        _context.exit_in_own_thread(self, "GradientTape")

    @property
    def persistent(self) -> bool:
        return self._persistent

    @contextmanager
    def stop_recording(self) -> Iterator[None]:
        """A block whose operations this tape does not record."""
        stack = _context.state.recorders
        if stack is _context.RAW or self not in stack:
            elsewhere = self._thread is not None and self._thread != threading.get_ident()
            raise RuntimeError(
                "stop_recording() is only valid inside this tape's `with` block while it records"
                + ("; this tape records in the thread that entered it, not this one" if elsewhere else "")
            )
        _context.remove(self)
        self._stops += 1
        try:
            yield
        finally:
            _context.push(self)

    def reset(self) -> None:
        """Forget everything recorded and watched so far (the tape keeps recording if active)."""
        self._forget()
        self._stops = 0
        self._released = False

    def _forget(self) -> None:
        self._records, self._tracked, self._watched, self._variables, self._exported = [], set(), [], {}, []

    # ---- watching -----------------------------------------------------------------------------
    def watch(self, tensor: Any) -> None:
        """Watch a tensor, a Variable, or a nested list/tuple/dict of them.

        Enclosing tapes that are recording watch them too, so a constant watched by an inner tape
        can be differentiated twice by nesting (as in TensorFlow's higher-order example).
        """
        leaves = (tensor,) if tensor.__class__ is Tensor else flatten(tensor)[0]
        stack = _context.state.recorders
        if len(stack) == 1 and stack[0] is self:  # the common case: this tape alone is recording
            tapes: tuple = (self,)
        else:
            tapes = (self, *[t for t in _context.active_tapes() if t is not self])
        for x in leaves:
            if x.__class__ is Tensor:
                for tape in tapes:
                    tape._watch_tensor(x)
            elif isinstance(x, Variable):
                for tape in tapes:
                    tape.on_variable_read(x, x.snapshot(), watch=True)
            elif isinstance(x, Tensor):
                for tape in tapes:
                    tape._watch_tensor(x)
            else:
                raise TypeError(
                    f"watch() takes tg.Tensors or tg.Variables, got {type(x).__name__}; "
                    "convert it first with x = tg.constant(x)"
                )

    def _watch_tensor(self, x: Tensor) -> None:
        try:
            kind = x._value.dtype.kind
        except AttributeError:  # the dtype object of an array-API library (_backend)
            kind = _backend.kind(x._value.dtype)
        if kind not in "fc":  # integer and bool tensors have no gradient (explain says so)
            return
        key = x._key or key_of(x)
        if key not in self._tracked:
            self._tracked.add(key)
            self._watched.append(x)

    def on_variable_read(self, var: Variable, snap: Tensor, watch: bool = False) -> None:
        """``var`` was read as ``snap``: watch ``snap`` if ``watch`` (``tape.watch(var)``) or if the
        tape watches the trainable Variables it reads."""
        if not (watch or self._watch_accessed and var.trainable):
            return
        entry = self._variables.get(id(var))
        if entry is None:
            self._variables[id(var)] = (var, [snap])
        elif entry[1][-1] is snap or any(s is snap for s in entry[1]):  # read again: already watched
            return
        else:
            entry[1].append(snap)
        self._watch_tensor(snap)

    def on_export(self, tensor: Tensor) -> None:
        """``tensor`` is being turned into plain numbers (.numpy(), float()): remember it if recorded."""
        if tensor._key in self._tracked:
            self._exported.append(tensor)

    def watched_variables(self) -> tuple[Variable, ...]:
        return tuple(var for var, _ in self._variables.values())

    # ---- the public, read-only view of what the tape holds (explain, graph, transforms, compilers) ----
    @property
    def records(self) -> tuple[Record, ...]:
        """The recorded op calls in execution order, as ``Record``s (see ``tapegrad._record``)."""
        return as_records(self._records)

    @property
    def watched(self) -> tuple[Tensor, ...]:
        """The tensors the tape watches (explicitly, or as snapshots of Variables it read)."""
        return tuple(self._watched)

    def variable_snapshots(self, variable: Variable) -> tuple[Tensor, ...]:
        """The watched snapshots that stand for ``variable``'s reads (empty: never watched)."""
        entry = self._variables.get(id(variable))
        return tuple(entry[1]) if entry else ()

    def tracks(self, key: Any) -> bool:
        """True when the tensor with this key is watched or computed from a watched tensor."""
        return key in self._tracked

    @property
    def watches_accessed_variables(self) -> bool:
        return self._watch_accessed

    @property
    def released(self) -> bool:
        """True once a non-persistent tape answered gradient() and forgot its records."""
        return self._released

    @property
    def stop_count(self) -> int:
        """How often ``stop_recording()`` paused this tape."""
        return self._stops

    @property
    def exported(self) -> tuple[Tensor, ...]:
        """Recorded tensors turned into plain numbers (``.numpy()``, ``float()``) inside the block."""
        return tuple(self._exported)

    # ---- recording (the hot path: called for every op while the tape is active) ------------------
    def record(self, prim: Any, args: tuple, vals: list, params: dict, out: Tensor) -> None:
        """Note one op if a watched tensor flows into it; keep only what its rules will read.

        A record has the layout of ``_record.Record`` (a plain tuple here, for speed): the arguments'
        and the output's values, which argument positions carry gradients, the arguments' keys (None
        for those that are not Tensors) and the output's key. It holds no Tensor: a walk that an outer tape records
        rebuilds them from values and keys (``backward.as_tensors``). Arrays the rules do not read
        are ``Meta`` stand-ins (shape, dtype).
        """
        if prim.joint_vjp is None:
            return
        tracked = self._tracked
        n = len(args)
        if n == 1:
            a = args[0]
            if a.__class__ is not Tensor:
                return
            ka = a._key
            if ka not in tracked:
                return
            needs: tuple = _FIRST
            keys: tuple = (ka,)
        elif n == 2:
            a, b = args
            ka = a._key if a.__class__ is Tensor else None
            kb = b._key if b.__class__ is Tensor else None
            if ka in tracked:
                if kb in tracked:
                    needs = _BOTH
                else:
                    needs = _FIRST
                    if kb is None:
                        if b.__class__ is Tensor:  # a constant tensor: keys mark tensors
                            kb = key_of(b)
                        elif b.__class__ is ndarray and vals[1] is b:  # the caller's own array, passed as it is
                            vals = _owned(vals, (ka, None))
            elif kb in tracked:
                needs = _SECOND
                if ka is None:
                    if a.__class__ is Tensor:
                        ka = key_of(a)
                    elif a.__class__ is ndarray and vals[0] is a:
                        vals = _owned(vals, (None, kb))
            else:
                return
            keys = (ka, kb)
        else:
            keys = tuple([(a._key or key_of(a)) if a.__class__ is Tensor else None for a in args])
            needs = tuple([i for i, k in enumerate(keys) if k in tracked])
            if not needs:
                return
            if None in keys:
                vals = _owned(vals, keys)
        try:
            value = out._value
        except AttributeError:  # a tuple: an op with several outputs
            self._record_several(prim, vals, params, out, needs, keys)
            return
        float_out = prim.float_out
        if not float_out:
            try:
                kind = value.dtype.kind
            except AttributeError:  # the dtype object of an array-API library (_backend)
                kind = _backend.kind(value.dtype)
            if kind not in "fc":
                return
        key = out._key
        if key is None:
            key = out._key = new_key()
        large_out = value.__class__ is ndarray and value.nbytes >= _primitive.SMALL_ARRAY_BYTES
        if large_out or (  # judged by the output, and by the input of a unary op (a reduction);
            n == 1  # an elementwise input is never larger than its output
            and not float_out
            and vals[0].__class__ is ndarray
            and vals[0].nbytes >= _primitive.SMALL_ARRAY_BYTES
        ):
            keep = prim._keeps.get(needs) or prim.keeps(needs)
            if keep is not ALL:
                droppable, keep_ans = keep
                if large_out and not keep_ans:
                    value = Meta(value)
                if droppable:
                    vals = slim(droppable, vals)
        # one shared empty mapping for parameterless ops: a record should not hold a dict of its own
        self._records.append((prim, vals, params or _NO_PARAMS, value, needs, keys, key))
        tracked.add(key)

    def _record_several(self, prim: Any, vals: list, params: dict, outs: tuple, needs: tuple, keys: tuple) -> None:
        """``record`` for an op with several outputs: each float output is tracked."""
        floats = [o for o in outs if _backend.kind(o._value.dtype) in "fc"]
        if not floats:
            return
        for o in outs:
            if o._key is None:
                o._key = new_key()
        values = tuple(o._value for o in outs)
        keep = prim.keeps(needs)
        if keep is not ALL:
            droppable, keep_ans = keep
            if not keep_ans:
                values = slim(range(len(values)), values)
            vals = slim(droppable, vals)
        if None in keys:
            vals = _owned(vals, keys)
        self._records.append((prim, vals, params or _NO_PARAMS, values, needs, keys, tuple(o._key for o in outs)))
        self._tracked.update(o._key for o in floats)

    # ---- differentiation ---------------------------------------------------------------------------
    def gradient(
        self,
        target: Any,
        sources: Any,
        output_gradients: Any = None,
        unconnected_gradients: Any = UnconnectedGradients.NONE,
    ) -> Any:
        """d(sum of targets)/d(source) for each source, in the structure of ``sources``.

        For complex sources the gradient is dL/dx + i dL/dy (TensorFlow's convention, the conjugate
        of JAX's), with L = Re(sum(conj(output_gradients) * target)); see ``tapegrad.backward``.
        """
        self._check_usable("gradient")
        unconnected = as_unconnected(unconnected_gradients)
        targets = as_target_list(target)
        seeds = [None] * len(targets)
        if output_gradients is not None:
            seeds = [output_gradients] if isinstance(target, Tensor) else flatten(output_gradients)[0]
            if len(seeds) != len(targets):
                raise ValueError(
                    f"output_gradients has {len(seeds)} entries for {len(targets)} targets; give one per target"
                )
        leaves, treedef = flatten(sources)
        resolved = [self.source_keys(s, i) for i, s in enumerate(leaves)]
        raw = not _context.state.recorders
        grads: dict = {}
        for t, given in zip(targets, seeds):
            value = seed_value(t, given, raw)
            key = key_of(t)
            grads[key] = value if key not in grads else grads[key] + value
        wanted = {k for _, keys in resolved for k in keys}
        found = walk(self._records, len(self._records), grads, wanted, raw, consume=not self._persistent)
        results = [finish(_summed(found, keys), ref, unconnected) for ref, keys in resolved]
        if not self._persistent:
            self._release()
        return unflatten(treedef, results)

    def jacobian(
        self,
        target: Any,
        sources: Any,
        unconnected_gradients: Any = UnconnectedGradients.NONE,
        parallel_iterations: Any = None,
        experimental_use_pfor: bool = True,
    ) -> Any:
        """The full Jacobian: for each source, an array of shape ``target.shape + source.shape``."""
        self._check_usable("jacobian")
        unconnected = as_unconnected(unconnected_gradients)
        t = _one_target(target, "jacobian")
        leaves, treedef = flatten(sources)
        resolved = [self.source_keys(s, i) for i, s in enumerate(leaves)]
        m = t.size
        seeds = np.eye(m, dtype=t.dtype).reshape((m, *t.shape))
        stacks = self._stacked_rows(t, resolved, seeds, parallel_iterations)
        results = []
        for (ref, _), stack in zip(resolved, stacks):
            if stack is None:  # unconnected, or an empty target (whose Jacobian is empty, not None)
                zeros = wrap(np.zeros(t.shape + ref.shape, dtype=ref.dtype))
                results.append(None if unconnected is UnconnectedGradients.NONE and m else zeros)
                continue
            results.append(ops.reshape(finish(stack, ref, UnconnectedGradients.ZERO, m), t.shape + ref.shape))
        if not self._persistent:
            self._release()
        return unflatten(treedef, results)

    def batch_jacobian(
        self,
        target: Any,
        source: Any,
        unconnected_gradients: Any = UnconnectedGradients.NONE,
        parallel_iterations: Any = None,
        experimental_use_pfor: bool = True,
    ) -> Any:
        """Per-example Jacobians: ``target[b]`` w.r.t. ``source[b]``, shape (batch, *out, *in).

        Assumes, as TensorFlow does, that example b of the target depends only on example b of
        the source.
        """
        self._check_usable("batch_jacobian")
        unconnected = as_unconnected(unconnected_gradients)
        t = _one_target(target, "batch_jacobian")
        (ref, keys) = self.source_keys(source, 0)
        if t.ndim < 1 or ref.ndim < 1 or t.shape[0] != ref.shape[0]:
            raise ValueError(
                f"batch_jacobian needs target and source with the same first (batch) dimension, "
                f"got shapes {t.shape} and {ref.shape}"
            )
        batch, inner = t.shape[0], int(np.prod(t.shape[1:], dtype=int))
        seeds = np.zeros((inner, batch, inner), dtype=t.dtype)
        seeds[np.arange(inner), :, np.arange(inner)] = 1
        (stack,) = self._stacked_rows(t, [(ref, keys)], seeds.reshape((inner, *t.shape)), parallel_iterations)
        if not self._persistent:
            self._release()
        if stack is None:
            if unconnected is UnconnectedGradients.NONE and inner and batch:  # (an empty one is empty, not None)
                return None
            return wrap(np.zeros((batch, *t.shape[1:], *ref.shape[1:]), dtype=ref.dtype))
        per_row = finish(stack, ref, UnconnectedGradients.ZERO, inner)  # (inner, batch, *in)
        stacked = ops.transpose(per_row, (1, 0, *range(2, 1 + ref.ndim)))
        return ops.reshape(stacked, (batch, *t.shape[1:], *ref.shape[1:]))

    def _stacked_rows(self, target: Tensor, resolved: list, seeds: np.ndarray, parallel_iterations: Any) -> list:
        """Batched reverse walks for all the seeds: per source, (len(seeds), *source.shape) or None."""
        raw = not _context.state.recorders
        wanted = {k for _, keys in resolved for k in keys}

        def walk_rows(rows: slice) -> list:
            grads = {key_of(target): seeds[rows] if raw else wrap(seeds[rows])}
            found = walk(self._records, len(self._records), grads, wanted, raw, batched=True)
            return [_summed(found, keys) for _, keys in resolved]

        def zeros(k: int, n: int) -> Any:
            return finish(None, resolved[k][0], UnconnectedGradients.ZERO, n)

        if len(seeds) == 0:
            return [None for _ in resolved]
        return in_chunks(self._records, len(seeds), walk_rows, zeros, parallel_iterations)

    # ---- understanding what was recorded ----------------------------------------------------------
    def explain(self, target: Any, source: Any) -> str:
        """One sentence on why ``gradient(target, source)`` is (or is not) None."""
        from tapegrad.explain import explain_gradient

        return explain_gradient(self, target, source)

    def graph(self, target: Any = None, sources: Any = None) -> Any:
        """The recorded computational graph (``.to_dot()``, ``.render(path)``, shown inline in Jupyter)."""
        from tapegrad.graph import tape_graph

        return tape_graph(self, target, sources)

    # ---- helpers -------------------------------------------------------------------------------
    def source_keys(self, source: Any, position: int = 0) -> tuple[Tensor, list[int]]:
        """The reference tensor (for shape/dtype) and the tape keys that stand for one source (part of
        the records view: a Variable's reads are several watched snapshots)."""
        cls = source.__class__
        if cls is Tensor:
            try:
                kind = source._value.dtype.kind
            except AttributeError:  # the dtype object of an array-API library (_backend)
                kind = _backend.kind(source._value.dtype)
            if kind == "f":  # the common case
                return source, [source._key or key_of(source)]
        if cls is Variable or isinstance(source, Variable):
            entry = self._variables.get(id(source))
            snap = source._snapshot
            if snap is None:
                snap = source.snapshot()
            if entry is None:
                return snap, []
            snaps = entry[1]
            return snap, [snaps[0]._key] if len(snaps) == 1 else [s._key for s in snaps]
        if isinstance(source, Tensor):
            if source._value.dtype.kind not in "fc":
                return source, []
            return source, [key_of(source)]
        raise TypeError(
            f"gradient(): source {position} is a {type(source).__name__}; sources must be tg.Tensors or "
            "tg.Variables (or nested lists/tuples/dicts of them)"
        )

    def _check_usable(self, what: str) -> None:
        if not self._entered:
            raise RuntimeError(
                f"{what}() was called on a GradientTape whose `with` block never ran, so it recorded "
                "nothing; compute the target inside `with tg.GradientTape() as tape:`"
            )
        if self._released:
            raise RuntimeError(
                f"GradientTape.{what} can only be called once on non-persistent tapes; "
                "create the tape with tg.GradientTape(persistent=True) to ask it several times"
            )

    def _release(self) -> None:
        self._forget()
        self._released = True


def _owned(vals: Any, keys: tuple) -> Any:
    """A record's values with the caller's writable arrays (arguments that are not Tensors) copied,
    so that changing such an array after the op cannot change the gradient."""
    copied = None
    for i, k in enumerate(keys):
        v = vals[i]
        if k is None and v.__class__ is ndarray and v.flags.writeable:
            if copied is None:
                copied = list(vals)
            copied[i] = v.copy()
    return vals if copied is None else tuple(copied)


def _summed(found: dict, keys: list[int]) -> Any:
    if len(keys) == 1:
        return found.get(keys[0])
    total = None
    for k in keys:
        g = found.get(k)
        if g is not None:
            total = g if total is None else total + g
    return total


def _one_target(target: Any, what: str) -> Tensor:
    """The one target tensor of a Jacobian (TensorFlow's ``jacobian`` takes one, and gives no sum of several)."""
    targets = as_target_list(target)
    if len(targets) != 1:
        raise TypeError(
            f"{what}: the target must be one tensor, got {len(targets)} (a Jacobian is not summed over targets, "
            f"as gradient() is): call {what} once per target, or tg.stack / tg.concat them into one"
        )
    return targets[0]
