"""Draw a TapeGraph with matplotlib when Graphviz's ``dot`` program is not installed.

``pip install "tapegrad[graph]"`` (networkx and matplotlib) is then enough for .svg, .png and .pdf:
the same picture as ``dot`` draws from ``TapeGraph.to_dot()`` -- left to right, one box per node with
its operation, value and adjoint, each edge labelled with its local partial derivative. Nodes are
placed in layers by longest path from the inputs (networkx's topological order), constants one
layer before the op that reads them, and each layer is ordered by the mean height of its nodes'
predecessors to keep edges from crossing.
"""

from __future__ import annotations

import io
from typing import Any

INSTALL = 'pip install "tapegrad[graph]"'
_STYLE = {  # (face colour, edge colour) as in TapeGraph.to_dot()
    "input": ("#d6e6f5", "#2b6cb0"),
    "target": ("#fde9a9", "#b7791f"),
    "op": ("#f4f4f4", "#555555"),
}


def _modules() -> tuple[Any, Any]:
    from tapegrad.graph import GraphvizNotFound

    try:
        import networkx as nx
        from matplotlib.figure import Figure
    except ImportError:
        raise GraphvizNotFound(
            "drawing the graph as an image needs Graphviz's `dot` program or matplotlib and networkx: "
            f"{INSTALL} (or write a .dot file, which needs nothing)"
        ) from None
    return nx, Figure


def layout(graph: Any) -> dict[str, tuple[int, float]]:
    """(layer, row) of every node id: layers left to right, rows top to bottom."""
    nx, _ = _modules()
    g = nx.DiGraph()
    g.add_nodes_from(n.id for n in graph.nodes)
    g.add_edges_from((e.source, e.target) for e in graph.edges)
    kinds = {n.id: n.kind for n in graph.nodes}
    layer: dict[str, int] = {}
    for node in nx.topological_sort(g):
        preds = [layer[p] for p in g.predecessors(node) if kinds[p] != "constant"]
        layer[node] = 1 + max(preds) if preds else 0
    for node in g:  # a constant sits just before the first op that reads it
        if kinds[node] == "constant" and g.out_degree(node):
            layer[node] = max(0, min(layer[s] for s in g.successors(node)) - 1)
    order = {n.id: k for k, n in enumerate(graph.nodes)}
    rows: dict[str, float] = {}
    depths = range(max(layer.values(), default=0) + 1)
    for depth in depths:  # inputs and ops, each layer by the mean row of its predecessors
        members = [n for n in layer if layer[n] == depth and kinds[n] != "constant"]

        def key(n: str) -> tuple[float, int]:
            above = [rows[p] for p in g.predecessors(n) if p in rows]
            return (sum(above) / len(above) if above else -1.0, order[n])

        for row, n in enumerate(sorted(members, key=key)):
            rows[n] = float(row)
    for depth in depths:  # then the constants, each beside the op that reads it
        members = [n for n in layer if layer[n] == depth]
        place = {n: rows[n] if n in rows else min((rows.get(s, 0.0) for s in g.successors(n)), default=0.0) + 0.5
                 for n in members}
        for row, n in enumerate(sorted(members, key=lambda n: (place[n], order[n]))):
            rows[n] = row - (len(members) - 1) / 2
    return {n: (layer[n], rows[n]) for n in layer}


def draw(graph: Any, fmt: str) -> bytes:
    """The graph drawn by matplotlib as ``fmt`` (svg, png or pdf) bytes."""
    from tapegrad.graph import _fmt

    _, Figure = _modules()
    import matplotlib

    pos = layout(graph)
    layers = 1 + max((p[0] for p in pos.values()), default=0)
    height = max((sum(1 for q in pos.values() if q[0] == d) for d in range(layers)), default=1)
    dx, dy = 3.2, 1.25  # inches between layers and between rows
    fig = Figure(figsize=(dx * layers + 0.6, dy * height + 1.0))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(-dx / 2 - 0.3, dx * (layers - 0.5) + 0.3)
    ax.set_ylim(-dy * (height / 2 + 0.2), dy * (height / 2 + 0.6))
    ax.axis("off")
    if graph.title:
        ax.text(dx * (layers - 1) / 2, dy * (height / 2 + 0.3), graph.title, ha="center", va="center", fontsize=12)
    texts = {}
    for n in graph.nodes:
        if n.id not in pos:
            continue
        x, y = pos[n.id][0] * dx, -pos[n.id][1] * dy
        if n.kind == "constant":
            texts[n.id] = ax.text(x, y, n.name, ha="center", va="center", fontsize=10, color="#666666",
                                  bbox={"boxstyle": "round,pad=0.2", "fc": "none", "ec": "none"})
            continue
        head = n.expression if n.kind == "op" else n.name
        adjoint = _fmt(n.adjoint) if n.adjoint is not None else "—"
        face, edge = _STYLE["target" if n.is_target else n.kind]
        box = {"boxstyle": "round,pad=0.4" if n.kind == "input" else "square,pad=0.4", "fc": face, "ec": edge,
               "lw": 2.0 if n.is_target else 1.0}
        texts[n.id] = ax.text(x, y, f"{head}\nvalue = {_fmt(n.value)}\nadjoint = {adjoint}", ha="center",
                              va="center", fontsize=10, linespacing=1.4, bbox=box)
    names = {n.id: n.name for n in graph.nodes}
    for e in graph.edges:
        if e.source not in texts or e.target not in texts:
            continue
        constant = graph._by_id(e.source).kind == "constant"
        ax.annotate(
            "", xy=texts[e.target].get_position(), xytext=texts[e.source].get_position(),
            arrowprops={"arrowstyle": "-|>", "color": "#999999" if constant else "#555555",
                        "linestyle": "--" if constant else "-", "shrinkA": 3, "shrinkB": 3,
                        "patchA": texts[e.source].get_bbox_patch(), "patchB": texts[e.target].get_bbox_patch()},
        )
        if e.partial is not None:
            (xa, ya), (xb, yb) = texts[e.source].get_position(), texts[e.target].get_position()
            ax.text((xa + xb) / 2, (ya + yb) / 2 + 0.12, f"∂{names[e.target]}/∂{names[e.source]} = {_fmt(e.partial)}",
                    ha="center", va="bottom", fontsize=8, color="#1f4e9c",
                    bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8})
    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none"}):  # SVG text stays text (searchable, small)
        fig.savefig(buf, format=fmt, dpi=150)
    return buf.getvalue()
