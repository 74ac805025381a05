"""The device, paper and rating labels are spelled once, in protocol/labels.py: no string in
the unit's code spells one again (docstrings and comments aside), so the kiosk, the slips and
the hub cannot drift apart."""

import ast
from pathlib import Path

from protocol.labels import DEVICE_LABELS, PAPER_LABELS, RATING_LABELS

EDGE = Path(__file__).resolve().parents[2] / "edge"
NAMES = [*DEVICE_LABELS.values(), PAPER_LABELS["near_end"], PAPER_LABELS["out"]]


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _strings():
    for path in sorted(EDGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _docstrings(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Constant) or id(node) in skip:
                continue
            if isinstance(node.value, str):
                yield f"{path.relative_to(EDGE.parent)}:{node.lineno}", node.value


def test_no_string_in_edge_spells_a_device_or_paper_label_again():
    again = [(where, s) for where, s in _strings() if any(name in s for name in NAMES)]
    assert again == []


def test_no_string_in_edge_is_a_rating_label():
    again = [(where, s) for where, s in _strings() if s in RATING_LABELS.values()]
    assert again == []
