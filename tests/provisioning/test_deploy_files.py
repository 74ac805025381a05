"""The balena deployment files, checked without building images (CI pulls no base image): the
compose file's services and what they point at, the Dockerfile templates' base and sources,
and the start scripts' shell syntax."""

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
BASE = re.compile(r"^FROM balenalib/%%BALENA_MACHINE_NAME%%-debian:bookworm-(build|run)\b")


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def dockerfile(service: dict) -> Path:
    context = ROOT / service["build"] if isinstance(service["build"], str) else None
    assert context is not None, "a build context given as a plain path"
    return context / "Dockerfile.template"


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", path.read_text())
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def test_compose_runs_the_agent_and_the_kiosk_browser_with_device_access():
    services = compose()["services"]
    assert set(services) == {"agent", "kiosk"}
    for name, service in services.items():
        assert service["restart"] == "always", name
        # camera, input devices and the USB printer are hot-plugged: privileged + udev
        assert service["privileged"] is True, name
        assert service["network_mode"] == "host", name  # the kiosk page is on loopback
        assert dockerfile(service).exists(), name
    assert services["kiosk"]["environment"]["KIOSK_URL"] == "http://127.0.0.1:8080/"
    volume = services["agent"]["volumes"][0].split(":")
    assert volume[0] in compose()["volumes"]
    assert volume[1] == "/data/bianmin"


@pytest.mark.parametrize("service", ["agent", "kiosk"])
def test_every_image_is_64_bit_raspberry_pi_bookworm_with_udev(service):
    steps = instructions(dockerfile(compose()["services"][service]))
    froms = [args for word, args in steps if word == "FROM"]
    assert froms
    assert all(BASE.match(f"FROM {args}") for args in froms), froms
    assert any(word == "ENV" and "UDEV=on" in args for word, args in steps)
    assert steps[-1][0] == "CMD"


@pytest.mark.parametrize("service", ["agent", "kiosk"])
def test_every_copied_source_exists(service):
    path = dockerfile(compose()["services"][service])
    for word, args in instructions(path):
        if word == "COPY" and not args.startswith("--from"):
            *sources, _dest = args.split()
            for source in sources:
                assert (path.parent / source).exists(), f"{path.name}: COPY {source}"


def test_the_agent_image_holds_every_package_of_the_distribution():
    steps = instructions(ROOT / "Dockerfile.template")
    copied = {args.split()[0] for word, args in steps if word == "COPY"}
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    assert {p.rstrip("*") for p in packages} <= copied
    install = " ".join(args for word, args in steps if word == "RUN")
    assert "python3-picamera2" in install  # from the OS's packages, never pip
    assert "--system-site-packages" in install
    assert "'.[edge]'" in install


def test_the_agent_starts_from_the_identity_variable_as_a_bundle():
    script = (ROOT / "deploy/balena/agent/start.sh").read_text()
    assert "BIANMIN_IDENTITY" in script
    assert "umask 077" in script
    assert "bianmin edge run --bundle" in script


@pytest.mark.parametrize(
    "script",
    [
        "deploy/balena/agent/start.sh",
        "deploy/balena/kiosk/start.sh",
        "provisioning/unit_files/install.sh",
    ],
)
def test_shell_scripts_parse_and_are_executable_where_run_directly(script):
    path = ROOT / script
    subprocess.run(["sh", "-n", str(path)], check=True)
    if "deploy/" in script:
        assert path.stat().st_mode & 0o111, "the image runs it directly"


# On a unit these exist; here systemd-analyze says only that they are missing.
UNIT_ONLY = re.compile(
    r"Command (/opt/bianmin/venv/bin/bianmin|/usr/bin/cage) is not executable: "
    r"No such file or directory"
)


def test_the_bundles_systemd_units_pass_systemd_analyze_verify(tmp_path):
    if shutil.which("systemd-analyze") is None:
        from tests.conftest import _require

        _require("systemd-analyze", "systemd is not installed")
    for name in ("bianmin-agent.service", "bianmin-kiosk.service"):
        (tmp_path / name).write_bytes((ROOT / "provisioning/unit_files" / name).read_bytes())
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", "bianmin-agent.service", "bianmin-kiosk.service"],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    complaints = [
        line for line in done.stderr.splitlines() if line.strip() and not UNIT_ONLY.search(line)
    ]
    assert complaints == []
