"""Every program in the seed documents runs with `tensorflow` -> `tapegrad` and prints the seeds' numbers.

The seeds (``../shared/seeds/*.txt`` beside the repository root) are plain text scraped from web
pages, so the programs are found MECHANICALLY, by these rules:

1. A *block* is a maximal run of consecutive lines that parses as Python (``ast.parse``) and
   contains at least one call. Leading lines that are bare expressions without a call (a heading
   such as ``Setup`` parses as a name) are dropped from the block.
2. Seed 000 lost its indentation when it was scraped. A run whose lines all start at column 0 and
   that has a compound-statement header (a line ending in ``:``) is re-indented before parsing:
   each header opens a block one level deeper, ``return`` closes the innermost ``def``, and
   ``else/elif/except/finally`` go back one level, and a line that is a bare name (a notebook's
   display of a value, as ``x`` after ``x = tf.ones((2, 2))``) is top level. ``EXCEPTIONS``
   names the lines where that rule is wrong.
3. The only edit is the text replacement ``tensorflow`` -> ``tapegrad`` (``import tensorflow as
   tf`` keeps the name ``tf``).
4. The blocks of one seed run in order in one subprocess, in one namespace, as the cells of a
   notebook do (a later block uses names an earlier one defined), with ``MPLBACKEND=Agg``. As in a
   notebook, a block whose last statement is an expression displays its ``repr``. The seeds' own
   ``assert`` lines run as they are.
5. A block's *expected output* is the run of seed lines right after it, up to the first blank
   line, prose line (three words in a row) or the next block. The numbers in it must equal the
   numbers the block printed (float32 precision), after removing ``shape=(...)`` and dtype names
   from both (TensorFlow's and tapegrad's tensor reprs differ only there).

``EXCEPTIONS`` is the one list of places where the seeds are not taken literally, each with why.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]

# (seed file prefix, the seed line's text (stripped)) -> what is done there, and why.
EXCEPTIONS: dict[tuple[str, str], tuple[str, str]] = {
    ("000", "EPOCHS = 2000"): (
        "top-level",
        "indentation lost in the scrape and `def fit` has no `return` to close it: this line is top level",
    ),
    ("000", "x = np.array(np.random.choice(15, size=10, replace=False), dtype=float)"): (
        "no-compare",
        "unseeded np.random data: the block runs, its printed numbers are random",
    ),
    ("000", "LEARNING_RATE = 0.001"): (
        "no-compare",
        "fits the random data from unseeded np.random starting points: runs, numbers not compared",
    ),
    ("000", 'print(f"y ~ {m.numpy()}x + {c.numpy()}")'): (
        "no-compare",
        "prints the random fit above",
    ),
    ("000", "Let $x = 2$ and the 2nd degree polynomial equations as follows."): (
        "prose",
        "the prose says x = 2, the program uses x = 3; the program's printed 108.0 and 6.0 are checked",
    ),
}

# How many blocks rule 1 finds per seed: a guard against an extraction that silently finds nothing.
EXPECTED_BLOCKS = {"000": 8, "001": 0, "002": 6, "003": 0, "004": 0}


def seeds_dir() -> Path | None:
    """``../shared/seeds`` beside the repository root (or beside the main checkout of a git worktree)."""
    candidates = [ROOT.parent / "shared" / "seeds"]
    git = ROOT / ".git"
    if git.is_file():  # a worktree: .git holds "gitdir: <main>/.git/worktrees/<name>"
        gitdir = Path(git.read_text().split("gitdir:", 1)[-1].strip())
        candidates.append(gitdir.parents[2].parent / "shared" / "seeds")
    return next((c for c in candidates if c.is_dir()), None)


SEEDS = seeds_dir()
pytestmark = pytest.mark.skipif(
    SEEDS is None, reason="the seed documents (../shared/seeds/) are not beside this checkout"
)


@dataclass
class Block:
    seed: str
    first: int  # 0-based line numbers in the seed file, [first, end)
    end: int
    source: str
    expected: list[str] = field(default_factory=list)  # the seed's output lines after the block

    @property
    def first_line(self) -> str:
        return self.source.strip().splitlines()[0].strip()


def _reindent(lines: list[str], seed: str) -> str:
    """Rule 2: restore the indentation of a run scraped flat."""
    out, stack = [], []  # stack: the header keyword of each open block
    for line in lines:
        text = line.strip()
        if EXCEPTIONS.get((seed, text), ("",))[0] == "top-level" or text.isidentifier():
            stack = []
        if re.match(r"(else|elif|except|finally)\b", text) and stack:
            stack.pop()
        out.append("    " * len(stack) + text)
        if text.startswith("return") and "def" in stack:
            while stack.pop() != "def":
                pass
        elif text.endswith(":") and not text.startswith("#"):
            stack.append(text.split()[0].rstrip(":"))
    return "\n".join(out) + "\n"


def _as_program(lines: list[str], seed: str) -> str | None:
    """The source of a run of lines if it parses (rules 1-2), else None."""
    flat = all(not ln[:1].isspace() for ln in lines if ln.strip())
    headers = any(ln.strip().endswith(":") for ln in lines)
    source = _reindent(lines, seed) if flat and headers else "\n".join(lines) + "\n"
    try:
        ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    return source


def _has_call(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Call) for n in ast.walk(node))


PROSE = re.compile(r"[A-Za-z]{2,}\s+[A-Za-z]{2,}\s+[A-Za-z]{2,}")
TENSOR_META = re.compile(r"shape=\([^)]*\)|dtype=[\w.]+|\b(?:np\.)?(?:float|u?int|complex)\d+\b")
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def numbers(text: str) -> list[float]:
    """The numbers in printed text, with tensor shapes and dtype names removed (rule 5)."""
    return [float(n) for n in NUMBER.findall(TENSOR_META.sub(" ", text))]


def extract(path: Path) -> list[Block]:
    """Rule 1 (and 2) over one seed file, and each block's expected output (rule 5)."""
    seed = path.name[:3]
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    i, n = 0, len(lines)
    while i < n:
        found = None
        for j in range(min(n, i + 80), i, -1):  # the longest parsing run starting at line i
            source = _as_program(lines[i:j], seed)
            if source is not None:
                found = (j, source)
                break
        if found is None or not lines[i].strip():
            i += 1
            continue
        j, source = found
        body = ast.parse(source).body
        lead = 0  # drop leading headings that parse as bare names (rule 1)
        while lead < len(body) and isinstance(body[lead], ast.Expr) and not _has_call(body[lead]):
            lead += 1
        if lead == len(body) or not any(_has_call(stmt) for stmt in body):
            i += 1
            continue
        start = i + body[lead].lineno - 1
        source = _as_program(lines[start:j], seed)
        while j > start and not lines[j - 1].strip():
            j -= 1
        blocks.append(Block(seed, start, j, source))
        i = j
    for k, block in enumerate(blocks):
        stop = blocks[k + 1].first if k + 1 < len(blocks) else n
        for line in lines[block.end:stop]:
            if not line.strip() or PROSE.search(TENSOR_META.sub(" ", line)):
                break
            block.expected.append(line)
    return blocks


RUNNER = r"""
import ast, json, sys
blocks = json.loads(sys.stdin.read())
namespace = {"__name__": "__main__"}
for k, source in enumerate(blocks):
    print(f"\x00block {k}\x00", flush=True)
    tree = ast.parse(source)
    last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    if last is not None:
        tree.body.pop()
    exec(compile(tree, f"<block {k}>", "exec"), namespace)
    if last is not None:
        value = eval(compile(ast.Expression(last.value), f"<block {k}>", "eval"), namespace)
        if value is not None:
            print(repr(value))
"""


def run_blocks(blocks: list[Block], tmp_path: Path) -> list[str]:
    """Rules 3-4: run the blocks of one seed in one subprocess; the stdout of each block."""
    sources = [b.source.replace("tensorflow", "tapegrad") for b in blocks]
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run(
        [sys.executable, "-c", RUNNER], input=json.dumps(sources), capture_output=True, text=True,
        timeout=300, env=env, cwd=tmp_path,
    )
    outputs = proc.stdout.split("\x00block ")[1:]
    ran = len(outputs)
    assert proc.returncode == 0, (
        f"seed {blocks[0].seed}: block at line {blocks[ran - 1].first + 1} failed:\n"
        f"{sources[ran - 1]}\n{proc.stderr[-3000:]}"
    )
    return [out.split("\x00", 1)[1] for out in outputs]


def seed_files() -> list[Path]:
    return sorted(SEEDS.glob("0*.txt")) if SEEDS else []


@pytest.mark.parametrize("path", seed_files(), ids=lambda p: p.name[:3])
def test_seed_programs_run_and_print_the_seed_numbers(path: Path, tmp_path: Path) -> None:
    blocks = extract(path)
    assert len(blocks) == EXPECTED_BLOCKS[path.name[:3]], [b.first_line for b in blocks]
    if not blocks:
        return
    outputs = run_blocks(blocks, tmp_path)
    for block, out in zip(blocks, outputs):
        where = f"seed {block.seed} block at line {block.first + 1} ({block.first_line!r})"
        if EXCEPTIONS.get((block.seed, block.first_line), ("",))[0] == "no-compare":
            assert out.strip(), f"{where} printed nothing"
            continue
        expected = numbers("\n".join(block.expected))
        got = numbers(out)
        assert len(got) == len(expected), f"{where} printed {out!r}, the seed shows {block.expected!r}"
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=0, err_msg=f"{where} printed {out!r}")


def test_the_exceptions_list_names_lines_that_are_in_the_seeds() -> None:
    """An exception for a line no seed has any more would hide nothing: keep the list honest."""
    texts = {p.name[:3]: {ln.strip() for ln in p.read_text(encoding="utf-8").splitlines()} for p in seed_files()}
    for seed, line in EXCEPTIONS:
        assert line in texts[seed], (seed, line)


def test_the_numbers_rule_ignores_only_shapes_and_dtypes() -> None:
    seed = "<tf.Tensor: shape=(2, 2), dtype=float32, numpy=\narray([[8., 8.],\n[8., 8.]], dtype=float32)>"
    ours = "<tg.Tensor: shape=(2, 2), dtype=float32, numpy=\narray([[8., 8.],\n       [8., 8.]], dtype=float32)>"
    assert numbers(seed) == numbers(ours) == [8.0] * 4
    assert numbers("x=5 -- d: 75.0, d2: 30.0") == [5.0, 75.0, 2.0, 30.0]
    assert numbers("tg.Tensor(108.0, shape=(), dtype=float32)") == [108.0]
