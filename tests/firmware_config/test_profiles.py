"""Hardware profiles: the shipped ones load; a bad one is refused with file, field and reason,
by the loader and by `bianmin profile check`."""

import subprocess
from pathlib import Path

import pytest

from firmware_config import ProfileError, builtin_profiles, load_profile
from tests.support.processes import BIANMIN

PROFILES = Path(__file__).resolve().parents[2] / "firmware_config" / "profiles"
GOOD = (PROFILES / "pi4-cm3-80mm.toml").read_text(encoding="utf-8")


def write(tmp_path, text, name="bad.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_both_shipped_profiles_load():
    assert set(builtin_profiles()) == {"pi4-cm3-80mm", "pi5-usbcam-58mm"}


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        (
            ("dots_per_line = 576", "dots_per_line = 384"),
            "printer",
            "80 mm paper at 203 dpi has 576",
        ),
        (('backend = "picamera2"', 'backend = "webcam"'), "camera.backend", "Input should be"),
        (
            ("verify_threshold = 0.5", "verify_threshold = 3"),
            "face.verify_threshold",
            "less than 2",
        ),
        (("KEY_5 = 1", "KEY_5 = 2"), "rating", "exactly one key to each level"),
        (('name = "pi4-cm3-80mm"', 'name = "Pi 4!"'), "name", "should match pattern"),
        (('description = "', 'colour = "red"\ndescription = "'), "colour", "Extra inputs"),
    ],
    ids=["paper-width", "camera-backend", "threshold-range", "keymap", "name", "unknown-field"],
)
def test_an_invalid_profile_names_the_file_the_field_and_the_reason(
    tmp_path, change, field, reason
):
    path = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: field {field}: ")
    assert reason in message
    assert "Value error," not in message


def test_a_profile_that_is_not_toml_names_the_file_and_the_line(tmp_path):
    path = write(tmp_path, GOOD + "\n[printer\n")
    with pytest.raises(ProfileError, match=rf"{path}: not valid TOML: .*line"):
        load_profile(path)


def test_a_missing_section_is_named(tmp_path):
    text = GOOD.split("[pad]")[0] + "[rating]" + GOOD.split("[rating]")[1]
    with pytest.raises(ProfileError, match="field pad: Field required"):
        load_profile(write(tmp_path, text))


def test_profile_check_prints_good_files_and_fails_on_a_bad_one(tmp_path):
    bad = write(tmp_path, GOOD.replace("paper_width_mm = 80", "paper_width_mm = 76"))
    proc = subprocess.run(
        [BIANMIN, "profile", "check", str(PROFILES / "pi5-usbcam-58mm.toml"), str(bad)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode == 1
    assert '"name": "pi5-usbcam-58mm"' in proc.stdout
    assert f"{bad}: field printer.paper_width_mm: Input should be 58 or 80" in proc.stderr
