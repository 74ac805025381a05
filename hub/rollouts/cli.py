"""`bianmin rollout ...`: the operator's commands, as an HTTP client of the hub's API.

Every command prints the hub's JSON answer on one line; a refusal prints the hub's error code
and message on stderr and exits 1 (also when the hub cannot be reached); bad usage exits 2.
`status` prints tables, or the JSON with --json.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

app = typer.Typer(
    help="Signed configuration rollouts (an operator token is needed to change anything).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

HubOpt = Annotated[
    str, typer.Option("--hub", envvar="BIANMIN_HUB_URL", help="the hub's http://HOST:PORT")
]
TokenOpt = Annotated[
    str | None,
    typer.Option("--token", envvar="BIANMIN_HUB_TOKEN", help="API token (bianmin hub user add)"),
]
IdArg = Annotated[int, typer.Argument(help="rollout id")]
DEFAULT_HUB = "http://127.0.0.1:8000"


def _call(hub: str, token: str | None, method: str, path: str, body: Any = None) -> Any:
    return _answer(hub, token, method, path, body).json()


def _call_all(hub: str, token: str | None, path: str) -> list[Any]:
    """Every page of a list: the hub pages lists and links the next page (docs/operations.md)."""
    items: list[Any] = []
    next_path: str | None = path
    while next_path is not None:
        resp = _answer(hub, token, "GET", next_path)
        items += resp.json()
        next_path = resp.links.get("next", {}).get("url")
    return items


def _answer(hub: str, token: str | None, method: str, path: str, body: Any = None) -> Any:
    import httpx

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        resp = httpx.request(
            method, f"{hub.rstrip('/')}{path}", json=body, headers=headers, timeout=60
        )
    except httpx.HTTPError as exc:
        typer.echo(f"error (hub_unreachable): cannot reach {hub}: {exc}", err=True)
        raise typer.Exit(1) from None
    if resp.is_success:
        return resp
    try:
        detail = resp.json().get("detail")
    except ValueError:
        detail = resp.text[:500]
    typer.echo(_describe(resp.status_code, detail), err=True)
    raise typer.Exit(1)


def _describe(status: int, detail: Any) -> str:
    if isinstance(detail, dict):
        lines = [f"error ({detail.get('code', status)}): {detail.get('message', '')}"]
        lines += [f"  {i['where']}: {i['reason']}" for i in detail.get("issues", [])]
        return "\n".join(lines)
    if isinstance(detail, list):  # FastAPI's request validation errors
        parts = [f"{'.'.join(str(p) for p in e.get('loc', []))}: {e.get('msg')}" for e in detail]
        return f"error (invalid_request): {'; '.join(parts)}"
    return f"error (http_{status}): {detail}"


def _emit(value: Any) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False))


def _split(value: str | None) -> list[str] | None:
    return [u.strip() for u in value.split(",") if u.strip()] if value else None


@app.command()
def create(
    hub: HubOpt = DEFAULT_HUB,
    token: TokenOpt = None,
    all_units: Annotated[bool, typer.Option("--all", help="every village unit")] = False,
    division: Annotated[str | None, typer.Option(help="one town / subdistrict code")] = None,
    units: Annotated[str | None, typer.Option(help="comma-separated unit ids")] = None,
    canary: Annotated[str | None, typer.Option(help="comma-separated canary unit ids")] = None,
    canary_count: Annotated[int, typer.Option(help="let the hub pick N canaries")] = 0,
    stage_size: Annotated[int | None, typer.Option(help="units per later stage")] = None,
    failure_threshold: Annotated[
        float, typer.Option(help="pause when more than this share of a stage fails")
    ] = 0.1,
    timeout: Annotated[float, typer.Option(help="seconds a unit has to report")] = 600.0,
    profile: Annotated[str, typer.Option(help="hardware profile name")] = "pi4-cm3-80mm",
    face_verify_threshold: Annotated[float | None, typer.Option()] = None,
    rating_timeout: Annotated[int | None, typer.Option(help="seconds")] = None,
    deferred_material_days: Annotated[int, typer.Option(help="容缺 working days")] = 5,
    health_interval: Annotated[float | None, typer.Option(help="seconds")] = None,
    artifact: Annotated[
        list[str] | None, typer.Option(help="sha256 of an uploaded model bundle (repeatable)")
    ] = None,
    software: Annotated[
        str | None,
        typer.Option(help="sha256 of an agent release (`bianmin rollout release WHEEL`)"),
    ] = None,
    outside_office_hours: Annotated[
        bool, typer.Option(help="units switch versions outside office hours only")
    ] = False,
    office_hours: Annotated[
        str | None, typer.Option(help="local office hours [08:30-12:00,14:00-17:30]")
    ] = None,
    note: Annotated[str | None, typer.Option(help="why, for the audit log")] = None,
) -> None:
    """Start a staged rollout of the current catalog, a hardware profile and thresholds, and
    with --software the agent's own version."""
    if sum([all_units, division is not None, units is not None]) != 1:
        raise typer.BadParameter("give exactly one of --all, --division, --units")
    body: dict[str, Any] = {
        "target": {"all": True}
        if all_units
        else {"division": division}
        if division is not None
        else {"units": _split(units)},
        "canary": _split(canary) or [],
        "canary_count": canary_count,
        "stage_size": stage_size,
        "failure_threshold": failure_threshold,
        "timeout_s": timeout,
        "profile": profile,
        "thresholds": {
            "face_verify_threshold": face_verify_threshold,
            "rating_timeout_s": rating_timeout,
            "deferred_material_days": deferred_material_days,
            "health_interval_s": health_interval,
        },
        "artifacts": artifact or [],
        "note": note,
    }
    if software is not None:
        policy: dict[str, Any] = {"outside_office_hours": outside_office_hours}
        if office_hours:
            policy["office_hours"] = [r.strip().split("-", 1) for r in office_hours.split(",")]
        body["software"] = {"release": software, "policy": policy}
    _emit(_call(hub, token, "POST", "/api/rollouts", body))


@app.command()
def release(
    wheel: Annotated[str, typer.Argument(help="a wheel of bianmin (pip wheel --no-deps .)")],
    hub: HubOpt = DEFAULT_HUB,
    token: TokenOpt = None,
) -> None:
    """Upload an agent release; prints its sha256 for `rollout create --software`."""
    from pathlib import Path

    import httpx

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        resp = httpx.post(
            f"{hub.rstrip('/')}/api/artifacts",
            params={"kind": "agent_wheel"},
            content=Path(wheel).read_bytes(),
            headers=headers,
            timeout=300,
        )
    except (OSError, httpx.HTTPError) as exc:
        typer.echo(f"error (release_unreadable): {wheel}: {exc}", err=True)
        raise typer.Exit(1) from None
    if not resp.is_success:
        typer.echo(_describe(resp.status_code, resp.json().get("detail")), err=True)
        raise typer.Exit(1)
    _emit(resp.json())


@app.command()
def status(
    rollout_id: Annotated[int | None, typer.Argument(help="rollout id; none: list all")] = None,
    hub: HubOpt = DEFAULT_HUB,
    token: TokenOpt = None,
    units: Annotated[bool, typer.Option("--units", help="add every unit's state")] = False,
    state: Annotated[str | None, typer.Option(help="only units in this state")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="the hub's JSON, one line")] = False,
) -> None:
    """One rollout's state with counts per unit state and per stage, or the list: tables for
    a person, or JSON with --json."""
    from hub.rollouts.table import print_tables, rollout_tables, rollouts_table

    if rollout_id is None:
        listed = _call(hub, token, "GET", "/api/rollouts")
        _emit(listed) if as_json else print_tables([rollouts_table(listed)])
        return
    result = _call(hub, token, "GET", f"/api/rollouts/{rollout_id}")
    if units or state:
        query = f"state={state}&" if state else ""
        path = f"/api/rollouts/{rollout_id}/units?{query}limit=500"
        result["unit_states"] = _call_all(hub, token, path)
    _emit(result) if as_json else print_tables(rollout_tables(result))


@app.command()
def pause(rollout_id: IdArg, hub: HubOpt = DEFAULT_HUB, token: TokenOpt = None) -> None:
    """Stop issuing further stages."""
    _emit(_call(hub, token, "POST", f"/api/rollouts/{rollout_id}/pause"))


@app.command()
def resume(rollout_id: IdArg, hub: HubOpt = DEFAULT_HUB, token: TokenOpt = None) -> None:
    """Go on (past the failures that paused it)."""
    _emit(_call(hub, token, "POST", f"/api/rollouts/{rollout_id}/resume"))


@app.command()
def rollback(rollout_id: IdArg, hub: HubOpt = DEFAULT_HUB, token: TokenOpt = None) -> None:
    """Give every unit the rollout reached a new version with its previous content."""
    _emit(_call(hub, token, "POST", f"/api/rollouts/{rollout_id}/rollback"))
