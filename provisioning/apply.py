"""`provision plan | apply | status`: the registry's units brought to what the settings say,
through one backend, resumable and idempotent.

Idempotent because a unit is delivered only when the fingerprint of what would be delivered
differs from the one the state file recorded after its last delivery; resumable because the
state file is saved after every step (provisioning.state). One unit that fails is reported and
the others go on; the next run retries it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from firmware_config.schema import HardwareProfile
from protocol.villages import VillageRegistry
from provisioning.pki import CountyCA
from provisioning.plan import Plan, Target, make_plan
from provisioning.registry import load_registry
from provisioning.settings import ProvisionSettings, load_settings
from provisioning.state import BackendState, StateFile, UnitState
from provisioning.store import IdentityStore
from provisioning.tls_files import TlsFiles


class Backend(Protocol):
    name: str

    def shape(self, target: Target) -> str:
        """The backend's own rendering of a unit beyond its identity (hashed into the plan)."""
        ...

    def prepare(self, state: BackendState, save: Callable[[], None]) -> None: ...

    def deliver(
        self, target: Target, fingerprint: str, unit_state: UnitState, save: Callable[[], None]
    ) -> None: ...

    def withdraw(self, unit: str, unit_state: UnitState) -> None: ...

    def status(self, unit: str, unit_state: UnitState | None) -> str: ...


BackendFactory = Callable[[ProvisionSettings, Path, dict[str, HardwareProfile]], Backend]
# called with (what, unit) as each unit is done: what is "delivered", "withdrawn" or "failed"
Progress = Callable[[str, str], None]


@dataclass
class ApplyResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    delivered: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # unit -> reason (no secrets)
    certificates: dict[str, str] = field(default_factory=dict)  # issued -> why


class Provisioner:
    def __init__(
        self, state_dir: Path, make_backend: BackendFactory, backend: str | None = None
    ) -> None:
        self.state_dir = state_dir
        self.settings = load_settings(state_dir)
        if backend is not None:  # the other backend than fleet.json's, for this run
            self.settings = self.settings.model_copy(update={"backend": backend})
        self.registry: VillageRegistry = load_registry(self.settings.registry)
        self.profiles = self.settings.check_against(self.registry)
        self.store = IdentityStore(state_dir)
        self.state_file = StateFile(state_dir)
        self.backend = make_backend(self.settings, state_dir, self.profiles)
        self.tls = TlsFiles(state_dir)

    @property
    def backend_state(self) -> BackendState:
        return self.state_file.state.backend(self.backend.name)

    def plan(self) -> Plan:
        """What apply would do. Writes nothing: before the first apply the county's secrets
        are made in memory only (every unit is "create" then anyway)."""
        store = self.store
        ca = self._ca(create=False)
        return make_plan(
            registry=self.registry,
            settings=self.settings,
            profiles=self.profiles,
            county=store.county() if store.has_county() else store.new_county(),
            stored=self.store.identities(),
            revoked=self.store.revoked(),
            backend=self.backend.name,
            backend_state=self.backend_state,
            shape=self.backend.shape,
            ca=ca,
            certificates=self.tls.pending(self.settings, ca) if ca is not None else {},
        )

    def _ca(self, *, create: bool) -> CountyCA | None:
        """The county CA when the settings use TLS: saved on the first apply, made in memory
        only for a plan before it."""
        if not self.settings.uses_ca:
            return None
        if create or self.tls.has_ca():
            return self.tls.ca()
        return CountyCA.create()

    def apply(self, progress: Progress | None = None) -> ApplyResult:
        result = ApplyResult()
        self.store.county()  # made and saved on the first run, before any identity uses it
        ca = self._ca(create=True)  # likewise the county CA, when anything speaks TLS
        plan = self.plan()
        if ca is not None:
            result.certificates = self.tls.write(self.settings, ca)
        changed = [u for u in plan.units if u.identity_action != "keep"]
        for unit_plan in changed:
            self.store.save(unit_plan.target.identity)
            (result.created if unit_plan.identity_action == "create" else result.updated).append(
                unit_plan.unit
            )
        if changed or not self.store.broker_credentials.exists():
            self.store.write_outputs()
        todo = [u for u in plan.units if u.deliver]
        if not todo and not plan.withdraw:
            return result
        state = self.backend_state
        self.backend.prepare(state, self.state_file.save)
        for unit_plan in todo:
            unit_state = state.unit(unit_plan.unit)
            try:
                self.backend.deliver(
                    unit_plan.target, unit_plan.fingerprint, unit_state, self.state_file.save
                )
            except Exception as exc:  # one unit's failure must not stop the county's
                result.failed[unit_plan.unit] = _reason(exc)
                self.state_file.save()
                _tell(progress, "failed", unit_plan.unit)
                continue
            unit_state.delivered = unit_plan.fingerprint
            unit_state.withdrawn = False
            self.state_file.save()
            result.delivered.append(unit_plan.unit)
            _tell(progress, "delivered", unit_plan.unit)
        for unit in plan.withdraw:
            unit_state = state.unit(unit)
            try:
                self.backend.withdraw(unit, unit_state)
            except Exception as exc:
                result.failed[unit] = _reason(exc)
                _tell(progress, "failed", unit)
                continue
            unit_state.withdrawn = True
            unit_state.delivered = None
            self.state_file.save()
            result.withdrawn.append(unit)
            _tell(progress, "withdrawn", unit)
        return result

    def status(self, unit: str) -> str:
        """What the backend says of one unit; a failure to ask is the answer for that unit."""
        try:
            return self.backend.status(unit, self.backend_state.units.get(unit))
        except Exception as exc:
            return f"unknown ({_reason(exc)})"


def _tell(progress: Progress | None, what: str, unit: str) -> None:
    if progress is not None:
        progress(what, unit)


def _reason(exc: Exception) -> str:
    """One line for the operator. Exceptions here come from HTTP and file errors, which carry
    no secret: identities are only ever sent as request bodies, never in URLs."""
    # balena-sdk's exceptions keep their text in `message` and print as nothing
    raw = str(getattr(exc, "message", "") or exc)
    status = getattr(exc, "status_code", None)
    text = " ".join(raw.split())[:300] + (f" (HTTP {status})" if status else "")
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
