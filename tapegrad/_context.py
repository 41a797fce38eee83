"""Per-thread recording state: the stack of active recorders (tapes and forward accumulators).

The stack is a tuple that is replaced, never mutated, so a loop over it stays valid while a
recorder pushes or pops itself. ``RAW`` in place of the stack means "derivative rules are running
with plain NumPy values and nothing records them": primitives then call NumPy directly.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Any, Iterator

RAW: tuple = ("raw",)  # sentinel stack: rules run on plain arrays


class _State(threading.local):
    def __init__(self) -> None:
        self.recorders: tuple = ()


state = _State()


def push(recorder: object) -> None:
    stack = state.recorders
    state.recorders = (() if stack is RAW else stack) + (recorder,)


def remove(recorder: object) -> None:
    stack = state.recorders
    if stack is not RAW:
        state.recorders = tuple(r for r in stack if r is not recorder)


def exit_in_own_thread(recorder: object, what: str) -> None:
    """Leave a recorder's ``with`` block: an error in a thread that never entered it, where
    removing it would do nothing and leave it recording (and pinned) on the thread that did."""
    stack = state.recorders
    if stack and stack[-1] is recorder:  # the common case: the innermost recorder leaves
        state.recorders = stack[:-1]
        return
    if stack is RAW or recorder not in stack:
        entered = getattr(recorder, "_thread", None)
        if entered is not None and entered != threading.get_ident():
            raise RuntimeError(
                f"this {what} was entered in another thread; exit it in that thread (a {what} follows "
                "only the operations of the thread that entered it)"
            )
    remove(recorder)


@contextmanager
def recorders_set_to(stack: tuple) -> Iterator[None]:
    """Run a block with ``stack`` as the active recorders, then restore the previous stack."""
    saved = state.recorders
    state.recorders = stack
    try:
        yield
    finally:
        state.recorders = saved


def effect(fn: Any, *args: Any) -> Any:
    """Run ``fn(*args)``, a side effect on Variables that no recorder records (an optimizer step).

    Recorders with an ``on_effect`` hook are told first (tg.function replays the call each time
    its compiled code runs); inside, nothing records, so the effect runs as it would eagerly.
    """
    stack = state.recorders
    if not stack or stack is RAW:
        return fn(*args)
    for recorder in stack:
        hook = getattr(recorder, "on_effect", None)
        if hook is not None:
            hook(fn, list(args))
    with recorders_set_to(()):
        return fn(*args)


def tell(hook: str, *args: Any) -> None:
    """Call ``hook(*args)`` on every active recorder that has it."""
    stack = state.recorders
    if stack and stack is not RAW:
        for recorder in stack:
            method = getattr(recorder, hook, None)
            if method is not None:
                method(*args)


def active_tapes() -> tuple:
    stack = state.recorders
    return () if stack is RAW else tuple(r for r in stack if getattr(r, "is_tape", False))
