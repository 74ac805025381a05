"""Installing a release beside the running version, and the supervisor judging a version on
trial with real child processes: healthy in time and kept, or rolled back with the reason."""

import sys
import zipfile
from pathlib import Path

import pytest

from edge.errors import ReleaseInvalid
from edge.update.layout import SoftwareDir, Trial, UpdateState, now
from edge.update.supervisor import RESTART_STATUS, Supervisor
from edge.update.wheel import install_wheel
from protocol.artifacts import ArtifactKind, ArtifactRef, artifact_path
from protocol.software import SoftwareRelease
from tests.support.wheels import make_wheel

SHA = "cd" * 32


def release(version):
    ref = ArtifactRef(kind=ArtifactKind.AGENT_WHEEL, sha256=SHA, size=1, path=artifact_path(SHA))
    return SoftwareRelease(version=version, artifact=ref, key_id="k", sig="s")


def test_a_wheel_is_unpacked_into_its_own_version_directory(tmp_path):
    wheel = make_wheel(tmp_path, "9.0.0", {"bianmin_probe.py": "X = 1\n"})
    target = install_wheel(wheel, release("9.0.0"), tmp_path / "versions")
    assert target.name == f"9.0.0-{SHA[:12]}"
    assert (target / "bianmin_probe.py").read_text() == "X = 1\n"
    assert (target / "bianmin-9.0.0.dist-info" / "METADATA").exists()
    # a second install of the same release reuses it
    assert install_wheel(wheel, release("9.0.0"), tmp_path / "versions") == target


def test_a_wheel_of_another_version_or_distribution_is_refused(tmp_path):
    with pytest.raises(ReleaseInvalid, match=r"not bianmin 9\.0\.1"):
        install_wheel(make_wheel(tmp_path, "9.0.0"), release("9.0.1"), tmp_path / "v")
    other = make_wheel(tmp_path, "9.0.0", name="notbianmin")
    with pytest.raises(ReleaseInvalid):
        install_wheel(other, release("9.0.0"), tmp_path / "v")
    assert not any((tmp_path / "v").iterdir())  # nothing half-installed is left


def test_a_wheel_whose_entries_leave_its_directory_is_refused(tmp_path):
    wheel = make_wheel(tmp_path, "9.0.0")
    with zipfile.ZipFile(wheel, "a") as archive:
        archive.writestr("../../outside.py", "x")
    with pytest.raises(ReleaseInvalid, match="leaves its directory"):
        install_wheel(wheel, release("9.0.0"), tmp_path / "v")
    assert not (tmp_path / "outside.py").exists()


def on_trial(tmp_path: Path, version: str) -> tuple[SoftwareDir, Path, Path]:
    """A software directory that switched from version 1 to ``version``, not yet judged."""
    software = SoftwareDir(tmp_path / "data", durable=False)
    old, new = software.versions / "1.0-old", software.versions / f"{version}-new"
    old.mkdir(parents=True)
    new.mkdir(parents=True)
    software.switch(new)
    state = UpdateState(
        trial=Trial(
            version=version,
            path=str(new),
            previous=str(old),
            config_version=4,
            started_at=now(),
        )
    )
    software.save(state)
    return software, old, new


def child(script: str) -> list[str]:
    return [sys.executable, "-c", script]


def test_a_version_that_exits_before_reporting_healthy_is_rolled_back(tmp_path):
    software, old, _new = on_trial(tmp_path, "9.1.0")
    # the new version crashes at once; the old one, started after the rollback, exits 0
    script = (
        "import os, sys\n"
        "sys.exit(3 if os.environ['PYTHONPATH'].split(os.pathsep)[0].endswith('-new') else 0)\n"
    )
    status = Supervisor(child(script), software, trial_limit_s=30, poll_s=0.02).run()
    assert status == 0
    assert software.current() == old
    state = software.load()
    assert state.trial is None
    assert state.last is not None
    assert state.last.status == "rolled_back"
    assert state.refused["9.1.0"] == (
        "update_rolled_back: exited with status 3 before reporting healthy"
    )


def test_a_version_that_stays_silent_past_the_limit_is_stopped_and_rolled_back(tmp_path):
    software, old, _new = on_trial(tmp_path, "9.1.0")
    script = (
        "import os, sys, time\n"
        "if os.environ['PYTHONPATH'].split(os.pathsep)[0].endswith('-new'):\n"
        "    time.sleep(60)\n"
    )
    status = Supervisor(child(script), software, trial_limit_s=0.5, poll_s=0.02).run()
    assert status == 0
    assert software.current() == old
    assert software.load().refused["9.1.0"] == "update_rolled_back: not healthy within 0.5 s"


def test_a_version_that_reports_healthy_stays_and_the_old_ones_are_pruned(tmp_path):
    software, old, new = on_trial(tmp_path, "9.0.0")
    (software.versions / "0.9-older").mkdir()
    script = (
        "import os, pathlib, sys\n"
        f"pathlib.Path({str(software.healthy_file)!r}).write_text('9.0.0')\n"
        "assert os.environ['BIANMIN_SUPERVISED'] == '1'\n"
    )
    assert Supervisor(child(script), software, trial_limit_s=30, poll_s=0.02).run() == 0
    assert software.current() == new
    state = software.load()
    assert state.trial is None
    assert state.last is not None
    assert state.last.status == "installed"
    assert state.refused == {}
    assert sorted(p.name for p in software.versions.iterdir()) == [old.name, new.name]


def test_the_agent_asking_for_a_restart_is_started_again_at_once(tmp_path):
    software = SoftwareDir(tmp_path / "data", durable=False)
    software.ensure()
    marker = tmp_path / "runs"
    script = (
        "import pathlib, sys\n"
        f"p = pathlib.Path({str(marker)!r})\n"
        "n = len(p.read_text()) if p.exists() else 0\n"
        "p.write_text('x' * (n + 1))\n"
        f"sys.exit({RESTART_STATUS} if n == 0 else 7)\n"
    )
    assert Supervisor(child(script), software, poll_s=0.02).run() == 7
    assert marker.read_text() == "xx"
