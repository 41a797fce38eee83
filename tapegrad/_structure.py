"""Flatten nested lists/tuples/dicts of leaves and rebuild the same structure (like JAX pytrees)."""

from __future__ import annotations

from typing import Any, Callable

Treedef = Any  # an opaque description of the nesting


def flatten(tree: Any) -> tuple[list, Treedef]:
    cls = tree.__class__
    if cls is list or cls is tuple:  # the common flat sequence of leaves, without recursion
        for x in tree:
            if isinstance(x, (list, tuple, dict)):
                break
        else:
            return list(tree), (cls, len(tree))
    elif not isinstance(tree, (list, tuple, dict)):  # a single leaf
        return [tree], None
    leaves: list = []
    return leaves, _flatten(tree, leaves)


def _flatten(tree: Any, leaves: list) -> Treedef:
    if isinstance(tree, (list, tuple)):  # (a namedtuple too: its type rebuilds it, see _build)
        return (type(tree), [_flatten(x, leaves) for x in tree])
    if isinstance(tree, dict):
        return (dict, [(k, _flatten(v, leaves)) for k, v in tree.items()])
    leaves.append(tree)
    return None


def unflatten(treedef: Treedef, leaves: list) -> Any:
    if treedef is None:
        return leaves[0]
    if treedef[1].__class__ is int:  # a flat list or tuple (see flatten)
        return list(leaves) if treedef[0] is list else tuple(leaves)
    it = iter(leaves)
    return _build(treedef, it)


def _build(treedef: Treedef, it: Any) -> Any:
    if treedef is None:
        return next(it)
    kind, children = treedef
    if children.__class__ is int:
        items = [next(it) for _ in range(children)]
        return items if kind is list else tuple(items)
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
