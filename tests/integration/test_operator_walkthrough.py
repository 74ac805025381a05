"""The README's operator walk-through, run as written in an empty directory: the hub's key,
`provision init`, plan, apply twice (the second changes nothing), the token hashes imported
into the hub's database, status."""

import json
import re
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.provisioning.helpers import assert_no_secret_in
from tests.support.processes import BIANMIN

pytestmark = pytest.mark.integration
README = Path(__file__).resolve().parents[2] / "README.md"


def walkthrough() -> str:
    found = re.search(r"<!-- operator-walkthrough -->\n```sh\n(.*?)```", README.read_text(), re.S)
    assert found, "the README's operator walk-through block"
    return found[1].replace(".venv/bin/bianmin", BIANMIN)


def test_the_readme_operator_walkthrough_provisions_76_bundles_and_the_hubs_tokens(tmp_path):
    done = subprocess.run(
        ["sh", "-e", "-c", walkthrough()], cwd=tmp_path, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    summaries = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    applies = [s for s in summaries if "delivered" in s]
    assert [a["delivered"] for a in applies] == [76, 0]
    assert {"units": 76, "revoked": 0} in summaries  # unit-token-import
    assert len(list((tmp_path / "var/provision/bundles").iterdir())) == 76
    engine = create_engine(f"sqlite:///{tmp_path}/var/hub/hub.sqlite3")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM unittoken")).scalar() == 76
    engine.dispose()
    assert_no_secret_in(done.stdout + done.stderr, tmp_path / "var/provision")
