"""Load hardware profiles from TOML files; errors name the file, the field and the reason."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from firmware_config.schema import HardwareProfile


class ProfileError(ValueError):
    code = "invalid_profile"


def parse_profile(text: str, source: str = "<profile>") -> HardwareProfile:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{source}: not valid TOML: {exc}") from None
    try:
        return HardwareProfile.model_validate(data)
    except ValidationError as exc:
        reasons = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "(profile)"
            reason = str(err["msg"]).removeprefix("Value error, ")
            reasons.append(f"{source}: field {field}: {reason}")
        raise ProfileError("\n".join(reasons)) from None


def load_profile(path: str | Path) -> HardwareProfile:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProfileError(f"{path}: cannot read: {exc.strerror}") from None
    return parse_profile(text, str(path))


def builtin_profiles() -> dict[str, HardwareProfile]:
    """The profiles shipped in firmware_config/profiles, by name."""
    found: dict[str, HardwareProfile] = {}
    for entry in resources.files("firmware_config.profiles").iterdir():
        if entry.name.endswith(".toml"):
            profile = parse_profile(entry.read_text(encoding="utf-8"), f"profiles/{entry.name}")
            found[profile.name] = profile
    return found
