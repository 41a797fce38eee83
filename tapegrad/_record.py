"""What a tape keeps of one op call: the ``Record`` type, and ``Meta`` for values it did not keep.

Records are data, read through one door: ``GradientTape.records`` gives them as ``Record``s with
named fields, and every reader (explain, graph, the transforms, batching, a compiler) uses those
names. The walks unpack the same layout by name (``prim, vals, ... = record``).
"""

from __future__ import annotations

import functools
from typing import Any, Mapping, NamedTuple

import numpy as np


class Record(NamedTuple):
    """One recorded op call (immutable; ``__slots__ = ()`` as every NamedTuple).

    ``vals`` and ``ans`` hold values, never Tensors (``Meta`` where the rules read only shape and
    dtype); a multi-output op has a tuple of outputs in ``ans`` and of their keys in ``key``.

    The tape appends plain tuples of this layout (a NamedTuple costs about 150 ns more per op on
    the hot path, 11% of W2) and hands them out as ``Record``s (``tape.records``).
    """

    prim: Any  # the Primitive (its name, rules and forward function)
    vals: tuple  # the positional arguments' values (Meta where not kept)
    params: Mapping[str, Any]  # keyword arguments, passed to the forward function and every rule
    ans: Any  # the output's value (Meta where not kept), or a tuple of them for a multi-output op
    needs: tuple  # positions of the arguments that depend on a watched tensor
    keys: tuple  # the arguments' keys (None for an argument that was not a Tensor)
    key: Any  # the output's key, or a tuple of keys for a multi-output op

    @property
    def op(self) -> str:
        return self.prim.name

    @property
    def multiple(self) -> bool:
        """True for an op with several outputs (``ans`` and ``key`` are tuples)."""
        return self.key.__class__ is tuple

    @property
    def output_keys(self) -> tuple:
        return self.key if self.key.__class__ is tuple else (self.key,)

    @property
    def outputs(self) -> tuple:
        return self.ans if self.key.__class__ is tuple else (self.ans,)

    @property
    def input_shapes(self) -> tuple:
        return tuple(np.shape(v) if v.__class__ is not Meta else v.shape for v in self.vals)

    @property
    def output_shapes(self) -> tuple:
        return tuple(np.shape(v) if v.__class__ is not Meta else v.shape for v in self.outputs)

    @property
    def output_dtypes(self) -> tuple:
        return tuple(getattr(v, "dtype", None) for v in self.outputs)

    @property
    def kept(self) -> tuple[tuple[bool, ...], tuple[bool, ...]]:
        """Which values the record kept: (per argument, per output); False where only a Meta is left."""
        return tuple(v.__class__ is not Meta for v in self.vals), tuple(v.__class__ is not Meta for v in self.outputs)


def as_records(entries: Any) -> tuple[Record, ...]:
    """The tape's plain tuples as ``Record``s (released entries, None, left out: a record is never
    empty, so ``filter`` keeps exactly the others)."""
    return tuple(map(_as_record, filter(None, entries)))


_as_record = functools.partial(tuple.__new__, Record)  # what Record._make calls, run in C for each record


class Meta:
    """Stands in, in a record, for an array no derivative rule reads: only its shape and dtype."""

    __slots__ = ("shape", "dtype")

    def __init__(self, value: Any) -> None:
        self.shape = value.shape
        self.dtype = value.dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def _value(self) -> Meta:
        return self

    def __repr__(self) -> str:
        return f"<value not kept: shape={self.shape}, dtype={self.dtype}>"
