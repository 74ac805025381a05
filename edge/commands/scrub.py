"""Take personal data out of log lines before they leave the unit (the `diagnostics` command):
ID-card numbers (18 and 15 digits), mobile numbers, anything written after a name label, and
every run of Chinese characters (the agent logs in English; Chinese in a log line is a name, an
address or a slip's text). Pure."""

from __future__ import annotations

import re

_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_NAMED = re.compile(r"(?i)\b(name|applicant|resident|clerk_name)(\s*[=:]\s*)\S+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]+")


def scrub(line: str) -> str:
    line = _ID_NUMBER.sub("[id]", line)
    line = _MOBILE.sub("[phone]", line)
    line = _NAMED.sub(lambda m: f"{m.group(1)}{m.group(2)}[name]", line)
    return _CJK.sub("[…]", line)
