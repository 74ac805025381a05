"""What a release artifact must be: a wheel of the bianmin distribution, whose version the hub
reads from the wheel's own metadata (never from the operator's word or the file name)."""

from __future__ import annotations

import email.parser
import io
import zipfile

from hub.errors import InvalidRequest
from protocol.software import DISTRIBUTION


def wheel_version(content: bytes) -> str:
    """The version of a bianmin wheel, from its METADATA; InvalidRequest for anything else."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = [
                n
                for n in archive.namelist()
                if n.count("/") == 1 and n.endswith(".dist-info/METADATA")
            ]
            if len(names) != 1:
                raise InvalidRequest("a release is a wheel with one .dist-info/METADATA")
            metadata = archive.read(names[0]).decode("utf-8")
    except (zipfile.BadZipFile, UnicodeDecodeError, KeyError) as exc:
        raise InvalidRequest(f"a release is a wheel of bianmin: {exc}") from None
    headers = email.parser.Parser().parsestr(metadata, headersonly=True)
    name, version = headers.get("Name", ""), headers.get("Version", "")
    if name.lower() != DISTRIBUTION or not version:
        raise InvalidRequest(f"the wheel is {name!r} {version!r}, not a release of bianmin")
    if not names[0].startswith(f"{DISTRIBUTION}-{version}.dist-info/"):
        raise InvalidRequest(f"the wheel's metadata is in {names[0]}, not bianmin-{version}")
    return version
