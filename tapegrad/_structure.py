"""Flatten nested lists/tuples/dicts of leaves and rebuild the same structure (like JAX pytrees)."""

from __future__ import annotations

from typing import Any, Callable

Treedef = Any  # an opaque description of the nesting


def flatten(tree: Any) -> tuple[list, Treedef]:
    leaves: list = []
    return leaves, _flatten(tree, leaves)


def _flatten(tree: Any, leaves: list) -> Treedef:
    if isinstance(tree, (list, tuple)) and not _is_namedtuple(tree):
        return (type(tree), [_flatten(x, leaves) for x in tree])
    if _is_namedtuple(tree):
        return (type(tree), [_flatten(x, leaves) for x in tree])
    if isinstance(tree, dict):
        return (dict, [(k, _flatten(v, leaves)) for k, v in tree.items()])
    leaves.append(tree)
    return None


def unflatten(treedef: Treedef, leaves: list) -> Any:
    it = iter(leaves)
    return _build(treedef, it)


def _build(treedef: Treedef, it: Any) -> Any:
    if treedef is None:
        return next(it)
    kind, children = treedef
    if kind is dict:
        return {k: _build(c, it) for k, c in children}
    items = [_build(c, it) for c in children]
    if kind is list:
        return items
    if kind is tuple:
        return tuple(items)
    return kind(*items)  # namedtuple


def map_structure(fn: Callable[[Any], Any], tree: Any) -> Any:
    leaves, treedef = flatten(tree)
    return unflatten(treedef, [fn(x) for x in leaves])


def _is_namedtuple(x: Any) -> bool:
    return isinstance(x, tuple) and hasattr(type(x), "_fields")
