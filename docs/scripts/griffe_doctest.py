"""A griffe extension for the API reference: docstring examples become code blocks.

tapegrad's docstrings show examples as doctest lines (``>>> ...``) or as indented code; Markdown
would read ``>>>`` as nested quotes, so each run of doctest lines (with the output lines after
them) is fenced as a Python code block before mkdocstrings renders the docstring.
"""

from __future__ import annotations

from typing import Any

import griffe


def fence_doctests(text: str) -> str:
    out: list[str] = []
    inside = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(">>>") or (stripped.startswith("...") and inside):
            if not inside:
                out.extend(["```pycon"])
                inside = True
            out.append(stripped)
        elif inside and stripped:  # an output line of the example
            out.append(stripped)
        else:
            if inside:
                out.append("```")
                inside = False
            out.append(line)
    if inside:
        out.append("```")
    return "\n".join(out)


class DoctestFences(griffe.Extension):
    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None and ">>>" in obj.docstring.value:
            obj.docstring.value = fence_doctests(obj.docstring.value)
