"""What signing in costs on this machine: one argon2id hash and verification with the hub's
parameters (hub.accounts.passwords), a sign-in through the real app (TestClient, SQLite), and
the production start-up check of accounts whose hash was written outside the hub (its worst
case: the hub's own rows cost nothing, their password was seen when it was set).

Run: .venv/bin/python -m bench.signin [--accounts N]. Prints figures; the last line is one
JSON object; writes bench/results/signin.json."""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session

from bench.common import write_results
from hub.accounts import passwords
from hub.accounts.defaults import refuse_default_passwords
from hub.accounts.roles import Role
from hub.accounts.store import ACCOUNTS, add_account
from hub.app import create_app
from hub.settings import HubSettings


def timed(fn: Callable[[], object], n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=10, help="accounts for the start check")
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    stored = passwords.hash_password("Window-desk-2026")
    hash_s = timed(lambda: passwords.hash_password("Window-desk-2026"), args.repeat)
    verify_s = timed(lambda: passwords.verify(stored, "Window-desk-2026"), args.repeat)
    unknown_s = timed(lambda: passwords.verify(None, "Window-desk-2026"), args.repeat)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'hub.sqlite3'}"
        settings = HubSettings(database_url=url, broker_url=None, data_dir=Path(tmp))
        app = create_app(settings)
        engine = app.state.engine
        with Session(engine) as s:
            for i in range(args.accounts):
                add_account(s, name=f"p{i}", role=Role.VIEWER)
            s.flush()
            # hashes written outside the hub (password_known unset): the check's worst case
            s.execute(update(ACCOUNTS).values(password_hash=stored))
            s.commit()
        with TestClient(app) as client:

            def sign_in() -> None:
                form = client.get("/login").text
                token = form.split('name="csrf_token" value="')[1].split('"')[0]
                data = {"name": "p0", "password": "Window-desk-2026", "csrf_token": token}
                resp = client.post("/login", data=data, follow_redirects=False)
                assert resp.status_code == 303, resp.text

            sign_in_s = timed(sign_in, args.repeat)
        start = time.perf_counter()
        refuse_default_passwords(engine)
        check_s = time.perf_counter() - start
        engine.dispose()
    figures = {
        "argon2_hash_ms": round(statistics.median(hash_s) * 1000, 1),
        "argon2_verify_ms": round(statistics.median(verify_s) * 1000, 1),
        "unknown_name_verify_ms": round(statistics.median(unknown_s) * 1000, 1),
        "sign_in_request_ms": round(statistics.median(sign_in_s) * 1000, 1),
        "production_start_check_s": round(check_s, 2),
        "production_start_check_accounts": args.accounts,
        "defaults_checked": len(passwords.DEFAULTS_CHECKED_AT_START),
    }
    for key, value in figures.items():
        print(f"{key}: {value}")
    write_results("signin", figures, {"repeat": args.repeat})
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
