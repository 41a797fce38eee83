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
    for node in reversed(list(nx.topological_sort(g))):  # an op sits just before the first op reading it
        succs = [layer[s] for s in g.successors(node)]
        if kinds[node] == "op" and succs:
            layer[node] = max(layer[node], min(succs) - 1)
    for node in g:  # a constant too
        if kinds[node] == "constant" and g.out_degree(node):
            layer[node] = max(0, min(layer[s] for s in g.successors(node)) - 1)
    order = {n.id: k for k, n in enumerate(graph.nodes)}
    depths = range(max(layer.values(), default=0) + 1)
    members = {d: [n for n in layer if layer[n] == d and kinds[n] != "constant"] for d in depths}
    rows: dict[str, float] = {n: float(k) for d in depths for k, n in enumerate(members[d])}

    def mean(ns: list[str], fallback: float) -> float:
        return sum(rows[n] for n in ns) / len(ns) if ns else fallback

    # order each layer by the mean row of its neighbours: down, up and down again (fewer crossings)
    for sweep, neighbours in ((depths, g.predecessors), (reversed(depths), g.successors), (depths, g.predecessors)):
        for depth in sweep:
            placed = sorted(
                members[depth],
                key=lambda n: (mean([m for m in neighbours(n) if kinds[m] != "constant"], rows[n]), order[n]),
            )
            for row, n in enumerate(placed):
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
                              va="center", fontsize=10, linespacing=1.4, bbox=box, zorder=3)
    names = {n.id: n.name for n in graph.nodes}
    boxes = _extents(fig, ax, texts)
    for e in graph.edges:
        if e.source not in texts or e.target not in texts:
            continue
        constant = graph._by_id(e.source).kind == "constant"
        (xa, ya), (xb, yb) = _clip(boxes[e.source], boxes[e.target])
        # under the boxes, so an edge passing behind a node never strikes its text
        ax.annotate("", xy=(xb, yb), xytext=(xa, ya), zorder=1, arrowprops={
            "arrowstyle": "-|>", "color": "#999999" if constant else "#555555", "shrinkA": 0, "shrinkB": 0,
            "linestyle": "--" if constant else "-"})
        if e.partial is not None:
            t = min(0.5, 1.0 / (xb - xa)) if xb > xa else 0.5  # mid-edge, or an inch out of a long edge's source
            label = f"∂{names[e.target]}/∂{names[e.source]} = {_fmt(e.partial)}"
            ax.text(xa + t * (xb - xa), ya + t * (yb - ya) + 0.06, label, ha="center", va="bottom", fontsize=8,
                    color="#1f4e9c", zorder=2,
                    bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.85})
    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none"}):  # SVG text stays text (searchable, small)
        fig.savefig(buf, format=fmt, dpi=150)
    return buf.getvalue()


def _extents(fig: Any, ax: Any, texts: dict) -> dict[str, tuple[float, float, float, float]]:
    """(x centre, y centre, half width, half height) of each node's box, in data units (inches)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)  # lays the boxes out around their text
    inverse = ax.transData.inverted()
    out = {}
    for node_id, text in texts.items():
        (x0, y0), (x1, y1) = inverse.transform(text.get_bbox_patch().get_window_extent(renderer).get_points())
        out[node_id] = ((x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2)
    return out


def _clip(a: tuple, b: tuple, gap: float = 0.04) -> tuple[tuple[float, float], tuple[float, float]]:
    """The segment between two boxes' centres, cut where it leaves box ``a`` and enters box ``b``."""
    (xa, ya, wa, ha), (xb, yb, wb, hb) = a, b
    dx, dy = xb - xa, yb - ya

    def leave(w: float, h: float) -> float:  # fraction of the segment inside a box of half-size w, h
        return min(w / abs(dx) if dx else float("inf"), h / abs(dy) if dy else float("inf"))

    length = (dx * dx + dy * dy) ** 0.5 or 1.0
    ta, tb = leave(wa, ha) + gap / length, 1.0 - leave(wb, hb) - gap / length
    return (xa + ta * dx, ya + ta * dy), (xa + tb * dx, ya + tb * dy)
