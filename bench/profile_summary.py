"""Sum py-spy's collapsed stacks (``bench/ingest.py --profile DIR``): the busiest functions by
their own samples and by everything under them, as shares of the process's busy samples.

Usage: python -m bench.profile_summary FILE [--top N] [--events N]
With --events (the phase's event count) each share is also given in µs per event, from the
sampling rate bench/ingest.py uses.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

RATE_HZ = 400  # bench/ingest.py's py-spy --rate
_FRAME = re.compile(r"^(?P<fn>.*?) \((?P<file>[^():]*)(?::\d+)?\)$")


def _name(frame: str) -> str:
    m = _FRAME.match(frame.strip())
    if m is None:
        return frame.strip()
    file = m["file"]
    for root in ("site-packages/", "/work/"):
        if root in file:
            file = file.split(root, 1)[1]
    return f"{m['fn']} ({file})"


def summarise(path: Path) -> tuple[int, Counter[str], Counter[str]]:
    total = 0
    own: Counter[str] = Counter()
    under: Counter[str] = Counter()
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_name(f) for f in stack.split(";")]
        total += count
        own[frames[-1]] += count
        for name in set(frames):
            under[name] += count
    return total, own, under


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("file", type=Path)
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--events", type=int, default=0)
    args = ap.parse_args()
    total, own, under = summarise(args.file)

    def show(label: str, counts: Counter[str]) -> None:
        print(f"\n{label} ({total} busy samples)")
        for name, n in counts.most_common(args.top):
            per = f"  {1e6 * n / RATE_HZ / args.events:6.2f} µs/event" if args.events else ""
            print(f"{100 * n / total:5.1f} %{per}  {name}")

    show("own samples", own)
    show("inclusive samples", under)


if __name__ == "__main__":
    main()
