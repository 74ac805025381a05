"""The role split holds: a unit installs no web framework or database driver, the hub no
LiteRT or device drivers, and the `bianmin` command starts with only a unit's packages."""

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXTRAS = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
# uvicorn is shared: the unit serves its kiosk page with Starlette on it, without FastAPI
HUB_ONLY = ("fastapi", "sqlmodel", "sqlalchemy", "jinja2", "psycopg")
EDGE_ONLY = ("ai-edge-litert", "opencv", "python-escpos", "evdev", "tflite")


def _names(extra: str) -> list[str]:
    return [req.split(";")[0].split("[")[0].split("=")[0].split(">")[0].strip().lower()
            for req in EXTRAS[extra]]  # fmt: skip


def test_the_edge_extra_brings_no_web_framework_or_database_driver():
    assert not [n for n in _names("edge") if n.startswith(HUB_ONLY)]


def test_the_hub_extra_brings_no_litert_or_device_drivers():
    assert not [n for n in _names("hub") if n.startswith(EDGE_ONLY)]


def test_the_cli_starts_on_a_unit_without_the_hub_packages():
    """Importing a hub-only package while building the CLI would break `bianmin edge run`
    on a unit; block them and ask for help of the unit's commands."""
    blocker = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name.split('.')[0] in {[m for m in HUB_ONLY]!r}:\n"
        "            raise ImportError('hub-only package imported on a unit: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "sys.argv = ['bianmin', 'edge', 'run', '--help']\n"
        "from bianmin.cli import main\n"
        "main()\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", blocker], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert "--unit" in proc.stdout
