"""docs/security.md maps every threat to tests: each test it cites (tests/...py::name) exists,
and each threat section cites at least one."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "security.md"
CITED = re.compile(r"(tests/[\w/]+\.py)::(\w+)")
THREATS = (
    "A stolen unit",
    "A compromised unit",
    "A hostile local network",
    "A malicious operator account",
    "A hostile web page",
    "Forged or replayed",
    "Malformed input",
)


def test_every_test_the_security_page_cites_exists():
    text = DOC.read_text(encoding="utf-8")
    cited = CITED.findall(text)
    assert len(cited) > 40
    missing = []
    for path, name in cited:
        source = ROOT / path
        if not source.is_file() or not re.search(
            rf"^(async )?def {name}\(", source.read_text(encoding="utf-8"), re.M
        ):
            missing.append(f"{path}::{name}")
    assert not missing, f"docs/security.md cites tests that do not exist: {missing}"


def test_every_threat_has_a_section_citing_tests():
    sections = re.split(r"^### ", DOC.read_text(encoding="utf-8"), flags=re.M)[1:]
    for threat in THREATS:
        section = next((s for s in sections if threat in s.splitlines()[0]), None)
        assert section is not None, f"no section for {threat!r}"
        assert CITED.search(section), f"the section {threat!r} cites no test"
