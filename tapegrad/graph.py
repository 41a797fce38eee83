"""The computational graph a GradientTape recorded: each node's operation, forward value and adjoint.

    with tg.GradientTape(persistent=True) as tape:
        tape.watch([x1, x2, x3])
        f = 3 * (x1**2 + x2 * x3)
    g = tape.graph(f, {"x1": x1, "x2": x2, "x3": x3})
    g.render("graph.svg")     # or .png / .pdf (Graphviz's `dot`, else matplotlib), or .dot (no dependency)
    print(g.to_dot())

The adjoint of a node is d(target)/d(node), what the reverse pass carries back to it; the edges of
scalar nodes are labelled with the local partial derivative d(node)/d(input). The graph is read from
the tape's records (one per recorded operation, in execution order) and the adjoints come from one
reverse walk over them that leaves the tape untouched, so graph() works on persistent and
non-persistent tapes alike, before gradient() is called.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tapegrad import _context
from tapegrad._record import Meta
from tapegrad._structure import flatten
from tapegrad._tensor import Tensor, Variable, wrap
from tapegrad.backward import as_target_list, seed_value, walk

__all__ = ["TapeGraph", "GraphNode", "GraphEdge", "GraphvizNotFound", "tape_graph"]

_INFIX = {"add": "+", "subtract": "-", "multiply": "*", "divide": "/", "power": "**", "matmul": "@"}
_RENDERED = ("svg", "png", "pdf")
_TEXT = ("dot", "gv")


class GraphvizNotFound(RuntimeError):
    """Rendering to an image needs Graphviz's ``dot`` program, which is not installed."""


@dataclass
class GraphNode:
    """One node: an input (watched tensor or Variable), a recorded operation, or a constant operand."""

    id: str
    name: str
    kind: str  # "input", "op" or "constant"
    value: Any
    adjoint: Any = None  # d(target)/d(node); None when the target does not depend on it
    op: str | None = None  # the primitive's name for "op" nodes
    expression: str = ""  # "x4 = x1 ** 2" for op nodes
    is_target: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "op": self.op,
            "expression": self.expression,
            "value": _jsonable(self.value),
            "adjoint": None if self.adjoint is None else _jsonable(self.adjoint),
            "is_target": self.is_target,
        }


@dataclass
class GraphEdge:
    """Data flowing from ``source`` into argument ``argument`` of ``target``."""

    source: str
    target: str
    argument: int
    partial: float | None = None  # d(target node)/d(source node) for scalar nodes

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "target": self.target, "argument": self.argument, "partial": self.partial}


@dataclass
class TapeGraph:
    """The recorded graph of ``target``: ``nodes`` in execution order and ``edges`` between them."""

    nodes: list[GraphNode] = field(default_factory=list)
    edges: list[GraphEdge] = field(default_factory=list)
    title: str = ""

    # ---- queries ------------------------------------------------------------------------------
    def node(self, name: str) -> GraphNode:
        """The node called ``name`` ("x1", "x7", ...)."""
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(f"no node named {name!r}; nodes: {', '.join(n.name for n in self.nodes)}")

    @property
    def target(self) -> GraphNode:
        return next(n for n in self.nodes if n.is_target)

    @property
    def inputs(self) -> list[GraphNode]:
        return [n for n in self.nodes if n.kind == "input"]

    @property
    def operations(self) -> list[GraphNode]:
        return [n for n in self.nodes if n.kind == "op"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "nodes": [n.to_dict() for n in self.nodes],
            "edges": [e.to_dict() for e in self.edges],
        }

    def __repr__(self) -> str:
        t = self.target
        return (
            f"<TapeGraph: {len(self.inputs)} inputs, {len(self.operations)} operations; "
            f"target {t.name} = {_fmt(t.value)}>"
        )

    # ---- output -------------------------------------------------------------------------------
    def to_dot(self) -> str:
        """The graph in Graphviz's DOT language (no dependency needed)."""
        lines = [
            "digraph tape {",
            '  graph [rankdir=LR, fontname="Helvetica", fontsize=12, labelloc=t, nodesep=0.3, ranksep=0.45'
            + (f', label="{_esc(self.title)}"' if self.title else "")
            + "];",
            '  node [fontname="Helvetica", fontsize=11];',
            '  edge [fontname="Helvetica", fontsize=9, color="#555555", fontcolor="#1f4e9c"];',
        ]
        for n in self.nodes:
            if n.kind == "constant":
                lines.append(f'  {n.id} [shape=plaintext, fontcolor="#666666", label="{_esc(n.name)}"];')
                continue
            head = n.expression if n.kind == "op" else n.name
            rows = [head, f"value = {_fmt(n.value)}", f"adjoint = {_fmt(n.adjoint) if n.adjoint is not None else '—'}"]
            if n.kind == "input":
                style = 'shape=box, style="rounded,filled", fillcolor="#d6e6f5", color="#2b6cb0"'
            elif n.is_target:
                style = 'shape=box, style="filled,bold", fillcolor="#fde9a9", color="#b7791f"'
            else:
                style = 'shape=box, style=filled, fillcolor="#f4f4f4", color="#555555"'
            lines.append(f'  {n.id} [{style}, label="{_esc(chr(10).join(rows))}"];')
        for e in self.edges:
            attrs = []
            if e.partial is not None:
                src, dst = self._by_id(e.source), self._by_id(e.target)
                attrs.append(f'label="∂{_esc(dst.name)}/∂{_esc(src.name)} = {_fmt(e.partial)}"')
            if self._by_id(e.source).kind == "constant":
                attrs.append('style=dashed, color="#999999"')
            lines.append(f"  {e.source} -> {e.target}" + (f" [{', '.join(attrs)}]" if attrs else "") + ";")
        lines.append("}")
        return "\n".join(lines) + "\n"

    def pipe(self, format: str = "svg") -> bytes:
        """The graph drawn in ``format`` (svg, png or pdf), as bytes: by Graphviz's ``dot`` when it is
        installed, otherwise by matplotlib and networkx (``pip install "tapegrad[graph]"``)."""
        fmt = format.lower().lstrip(".")
        if fmt in _TEXT:
            return self.to_dot().encode()
        if fmt not in _RENDERED:
            raise ValueError(f"cannot draw the graph as {format!r}; use one of: {', '.join(_RENDERED + _TEXT)}")
        if shutil.which("dot") is None:  # no Graphviz: the same drawing with matplotlib (tapegrad[graph])
            from tapegrad.graph_draw import draw

            return draw(self, fmt)
        return _run_dot(self.to_dot(), fmt)

    def render(self, path: Any, format: str | None = None) -> str:
        """Write the graph to ``path``; the format is the suffix (.svg, .png, .pdf, or .dot text)."""
        path = str(path)
        if format is not None:
            fmt = format.lower().lstrip(".")
        else:
            fmt = path.rsplit(".", 1)[-1].lower() if "." in path.rsplit("/", 1)[-1] else ""
        if fmt not in _RENDERED + _TEXT:
            raise ValueError(
                f"cannot tell which format to write {path!r} in; end the name with one of "
                f"{', '.join('.' + f for f in _RENDERED + _TEXT)}"
            )
        data = self.pipe(fmt)
        with open(path, "wb") as fh:
            fh.write(data)
        return path

    def _repr_svg_(self) -> str | None:
        """Inline display in Jupyter (nothing, falling back to the text repr, when `dot` is missing)."""
        try:
            return self.pipe("svg").decode("utf-8")
        except (GraphvizNotFound, RuntimeError, OSError):
            return None

    def _by_id(self, node_id: str) -> GraphNode:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)


def _run_dot(dot: str, fmt: str) -> bytes:
    how = (
        "drawing the graph as an image needs Graphviz's `dot` program: install it with "
        "`apt-get install graphviz` (or `brew install graphviz`, `conda install graphviz`) and "
        "`pip install graphviz`; or write a .dot file, which needs nothing"
    )
    try:
        import graphviz  # type: ignore[import-not-found]
    except ImportError:
        graphviz = None
    if graphviz is not None:
        try:
            return graphviz.Source(dot).pipe(format=fmt)
        except graphviz.ExecutableNotFound:
            raise GraphvizNotFound(how) from None
        except graphviz.CalledProcessError as err:  # pragma: no cover - dot rejected our text
            raise RuntimeError(f"Graphviz failed: {err}") from None
    exe = shutil.which("dot")
    if exe is None:
        raise GraphvizNotFound(how)
    done = subprocess.run([exe, f"-T{fmt}"], input=dot.encode(), capture_output=True, timeout=60)
    if done.returncode != 0:  # pragma: no cover
        raise RuntimeError(f"Graphviz failed: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


# ---- building the graph ------------------------------------------------------------------------------
def tape_graph(tape: Any, target: Any = None, sources: Any = None) -> TapeGraph:
    """The graph of what ``tape`` recorded for ``target`` (default: the last recorded result).

    ``sources`` names the inputs: a dict ``{"x1": x1, ...}`` gives them those names; a list or a
    single tensor (or None: every watched tensor and Variable) calls them x1, x2, ... (Variables
    by their name). Only the operations the target depends on are drawn; inputs it does not depend
    on are drawn unconnected, with no adjoint.
    """
    if tape.released:
        raise RuntimeError(
            "this tape has already forgotten its records: a non-persistent tape drops them in gradient(); "
            "call graph() before gradient(), or create the tape with tg.GradientTape(persistent=True)"
        )
    records = list(tape.records)
    named = _named_sources(tape, sources)
    if target is None:
        if not records:
            raise ValueError(
                "the tape recorded no operations on watched tensors, so there is no graph to draw; "
                "watch the inputs (tape.watch(x) or tg.Variable) and compute with them inside the `with` block"
            )
        target_value, target_key = records[-1].outputs[-1], records[-1].output_keys[-1]  # a value, or a Meta
    else:
        (target_t,) = as_target_list(target)[:1]
        target_value, target_key = target_t._value, target_t._key
    source_ids = {t._key for _, ts in named for t in ts if t._key is not None}
    produced = {key: k for k, r in enumerate(records) for key in r.output_keys}
    if target_key not in produced and target_key not in source_ids:
        raise ValueError(
            "the target is not recorded on this tape: it does not depend on a watched tensor, or it was "
            "computed outside the tape's `with` block (tape.explain(target, source) says more)"
        )

    # the records the target depends on, in execution order
    needed = {target_key}
    kept: list[int] = []
    for k in range(len(records) - 1, -1, -1):
        if any(key in needed for key in records[k].output_keys):
            kept.append(k)
            needed.update(records[k].keys)
    kept.reverse()

    # adjoints: one reverse walk over the records (the tape itself is left as it was)
    wanted = {key for k in kept for key in records[k].output_keys} | source_ids
    if isinstance(target_value, Meta):
        seed = np.ones(target_value.shape, target_value.dtype)
    else:
        seed = seed_value(wrap(target_value), None, True)
    adjoints = walk(records, len(records), {target_key: seed}, wanted, True)

    graph = TapeGraph()
    ids: dict[int, str] = {}
    for name, tensors in named:
        adj = _summed([adjoints.get(t._key) for t in tensors])
        node = GraphNode(id=f"n{len(graph.nodes)}", name=name, kind="input", value=tensors[-1]._value, adjoint=adj)
        graph.nodes.append(node)
        for t in tensors:
            if t._key is not None:
                ids[t._key] = node.id
    namer = _Namer([name for name, _ in named])
    for k in kept:
        r = records[k]
        prim, vals, params, needs, arg_keys = r.prim, r.vals, r.params, r.needs, r.keys
        if all(key in ids for key in r.output_keys):  # a watched intermediate: already drawn as an input
            continue
        arg_ids, arg_names = [], []
        for a, a_key in zip(vals, arg_keys):
            if a_key in ids:
                arg_ids.append(ids[a_key])
                arg_names.append(graph._by_id(ids[a_key]).name)
            else:
                label = _fmt(a)
                c = GraphNode(id=f"c{len(graph.nodes)}", name=label, kind="constant",
                              value=a if isinstance(a, Meta) else np.asarray(a))
                graph.nodes.append(c)
                arg_ids.append(c.id)
                arg_names.append(label)
        for j, (key, ans) in enumerate(zip(r.output_keys, r.outputs)):  # a node per output
            name = namer.next()
            part = f"[{j}]" if r.multiple else ""
            node = GraphNode(
                id=f"n{len(graph.nodes)}",
                name=name,
                kind="op",
                value=ans,
                adjoint=adjoints.get(key),
                op=prim.name,
                expression=f"{name} = {_describe(prim.name, arg_names, params)}{part}",
            )
            graph.nodes.append(node)
            ids[key] = node.id
            for i, src in enumerate(arg_ids):
                partial = _local_partial(prim, i, vals, params, ans) if i in needs and not r.multiple else None
                graph.edges.append(GraphEdge(source=src, target=node.id, argument=i, partial=partial))
    target_node = graph._by_id(ids[target_key])
    target_node.is_target = True
    graph.title = f"{target_node.name} = {_fmt(target_node.value)}; adjoint = d{target_node.name}/d(node)"
    return graph


def _named_sources(tape: Any, sources: Any) -> list[tuple[str, list[Tensor]]]:
    """(name, tape tensors standing for it) for each input; a Variable may have several snapshots."""
    if isinstance(sources, dict):
        items = [(str(k), v) for k, v in sources.items()]
    else:
        if sources is None:
            leaves = []
            seen: set[int] = set()
            variables = tape.watched_variables()
            variable_snaps = {id(s) for var in variables for s in tape.variable_snapshots(var)}
            leaves.extend(variables)
            for t in tape.watched:
                if id(t) not in variable_snaps and id(t) not in seen and t._value.dtype.kind in "fc":
                    seen.add(id(t))
                    leaves.append(t)
        else:
            leaves, _ = flatten(sources)
        items = []
        counter = 0
        for leaf in leaves:
            if isinstance(leaf, Variable):
                items.append((leaf.name, leaf))
            else:
                counter += 1
                items.append((f"x{counter}" if len(leaves) > 1 or sources is None else "x", leaf))
    out = []
    used: set[str] = set()
    for name, value in items:
        if isinstance(value, Variable):
            tensors = list(tape.variable_snapshots(value)) or [value.snapshot()]
        elif isinstance(value, Tensor):
            tensors = [value]
        else:
            raise TypeError(f"graph(): source {name!r} is a {type(value).__name__}, not a tg.Tensor or tg.Variable")
        base, n = name, 1
        while name in used:
            n += 1
            name = f"{base}_{n}"
        used.add(name)
        out.append((name, tensors))
    return out


class _Namer:
    """Names for intermediate results: x4, x5, ... after inputs x1..x3 (as in the textbook figures), else v1, v2, ..."""

    def __init__(self, inputs: list[str]) -> None:
        matches = [re.fullmatch(r"([A-Za-z]+)(\d+)", n) for n in inputs]
        prefixes = {m.group(1) for m in matches if m}
        if inputs and all(matches) and len(prefixes) == 1:
            self.prefix = prefixes.pop()
            self.count = max(int(m.group(2)) for m in matches)  # type: ignore[union-attr]
        else:
            self.prefix, self.count = "v", 0
        self.taken = set(inputs)

    def next(self) -> str:
        while True:
            self.count += 1
            name = f"{self.prefix}{self.count}"
            if name not in self.taken:
                self.taken.add(name)
                return name


def _describe(op: str, args: list[str], params: dict) -> str:
    extra = [f"{k}={v!r}" for k, v in params.items() if v is not None]
    if op in _INFIX and len(args) == 2 and not extra:
        return f"{_wrap(args[0])} {_INFIX[op]} {_wrap(args[1])}"
    if op == "negative" and len(args) == 1:
        return f"-{_wrap(args[0])}"
    return f"{op}({', '.join(args + extra)})"


def _wrap(text: str) -> str:
    return f"({text})" if text.startswith("-") else text


def _local_partial(prim: Any, i: int, vals: list, params: dict, ans: Any) -> float | None:
    """d(ans)/d(argument i) for a scalar op on scalars (the edge label of the textbook figures)."""
    if isinstance(ans, Meta) or any(isinstance(v, Meta) for v in vals) or np.ndim(ans) != 0 or np.ndim(vals[i]) != 0:
        return None
    try:
        with _context.recorders_set_to(_context.RAW), np.errstate(all="ignore"):
            g = prim.joint_vjp(np.ones((), dtype=ans.dtype)[()], ans, (i,), *vals, **params)[i]
        if g is None:
            return None
        g = g._value if isinstance(g, Tensor) else g
        return float(np.asarray(g).reshape(()))
    except Exception:  # a rule that cannot run on plain scalars: leave the edge unlabelled
        return None


def _summed(parts: list) -> Any:
    total = None
    for p in parts:
        if p is not None:
            total = p if total is None else total + p
    return total


def _fmt(value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, Tensor):
        value = value._value
    if isinstance(value, Meta):
        return f"array{value.shape} (not kept)"
    a = np.asarray(value)
    if a.ndim == 0:
        v = a[()]
        if a.dtype.kind == "b":
            return str(bool(v))
        if a.dtype.kind in "iu":
            return str(int(v))
        if a.dtype.kind == "c":
            return f"{complex(v):.6g}"
        return f"{float(v):.6g}"
    if a.size <= 4:
        return np.array2string(a, precision=4, separator=", ").replace("\n", "")
    return f"array{a.shape} mean {float(np.mean(a)):.4g}"


def _jsonable(value: Any) -> Any:
    if isinstance(value, Tensor):
        value = value._value
    a = np.asarray(value, dtype=float) if np.asarray(value).dtype.kind in "iufb" else np.asarray(value)
    if a.dtype.kind == "f":
        if a.ndim == 0:
            v = float(a)
            return v if np.isfinite(v) else None
        return [_jsonable(x) for x in a]
    return str(value)


def _esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
