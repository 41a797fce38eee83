"""The generated documentation agrees with the code: the supported-functions table and the API pages."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

import tapegrad as tg
from tapegrad import ops

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "docs" / "scripts"


def script(name: str):
    if str(SCRIPTS) not in sys.path:
        sys.path.insert(0, str(SCRIPTS))
    return importlib.import_module(name)


def parse_table(markdown: str) -> list[dict[str, str]]:
    """The rows of the first markdown table in the text, as dicts keyed by the header."""
    lines = markdown.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("| "))
    header = [c.strip() for c in lines[start].strip("|").split("|")]
    rows = []
    for ln in lines[start + 2:]:
        if not ln.startswith("|"):
            break
        rows.append(dict(zip(header, (c.strip() for c in ln.strip("|").split("|")))))
    return rows


def test_supported_functions_table_matches_the_rule_table():
    table = script("ops_table")
    rows = parse_table(table.markdown())
    prims = {(table._family(p), p.name): p for p in ops.primitives()}
    assert len(prims) == len(ops.primitives()), "a family declares two primitives of one name"
    keys = [(r["family"], r["op"].strip("`").removeprefix("tg.")) for r in rows]
    assert sorted(keys) == sorted(prims), "every primitive has exactly one row"
    yes, no = table.YES, table.NO
    for row, key in zip(rows, keys):
        p, name = prims[key], key[1]
        assert row["reverse"] == (yes if p.differentiable else no), name
        assert row["forward"] == (yes if p.jvps is not None or p.joint_jvp is not None else no), name
        assert row["second order"] == row["reverse"], name  # rules are tapegrad ops: differentiable again
        assert (row["batched"] == no) == (not p.differentiable), name
        if "complex" in row:
            assert row["complex"] == (yes if getattr(p, "complex", None) else no), name
        for np_name in row["NumPy"].replace("`", "").split(", "):
            if np_name != no:  # the NumPy ufunc named really runs this primitive on a tensor
                func = getattr(__import__("numpy"), np_name.removeprefix("np."))
                assert tg._tensor.UFUNCS.get(func) is p or tg._tensor.FUNCTIONS.get(func) is p, (name, np_name)
    assert sum(r["reverse"] == yes for r in rows) == sum(p.differentiable for p in prims.values())
    assert ("complex" in rows[0]) == table.declares_complex()
    assert table.declares_complex() and "| complex |" in table.markdown()  # every primitive states it


def test_sin_row_reads_as_the_rule_table_says():
    rows = parse_table(script("ops_table").markdown())
    (sin,) = [r for r in rows if r.get("op") == "`tg.sin`"]
    assert (sin["NumPy"], sin["reverse"], sin["forward"]) == ("`np.sin`", "✓", "✓")
    assert sin["batched"] in ("declared", "elementwise")
    (argmax,) = [r for r in rows if r.get("op") == "`tg.argmax`"]
    assert (argmax["reverse"], argmax["forward"]) == ("—", "—")


def test_every_public_name_is_on_exactly_one_api_page_which_is_in_the_nav():
    pages = script("api_pages")
    groups = pages.groups()
    placed = [n for _, names in groups.values() for n in names]
    assert sorted(placed) == sorted(tg.__all__)
    nav = (ROOT / "mkdocs.yml").read_text()
    for slug in groups:
        page = ROOT / "docs" / "api" / f"{slug}.md"
        assert page.is_file() and f'render("{slug}")' in page.read_text(), slug
        assert f"api/{slug}.md" in nav, slug


@pytest.mark.parametrize("name", sorted(tg.__all__))
def test_every_public_name_has_an_example_that_runs(name):
    pages = script("api_pages")
    obj = getattr(tg, name)
    if pages.has_example(obj):
        return
    assert name in pages.EXAMPLES, f"tg.{name}: no example in its docstring nor in docs/scripts/api_examples.py"
    printed = pages.run_example(name, pages.EXAMPLES[name])
    assert printed.strip(), f"the example of tg.{name} prints nothing"
