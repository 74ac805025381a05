"""How many body bytes each route may send the hub, and why (enforced by hub.body_limit before
routing). A route not listed gets the default: a forgotten large route fails loudly with a 413
in its tests rather than quietly accepting anything."""

from __future__ import annotations

from dataclasses import dataclass

from hub.settings import HubSettings

KiB = 1024
MiB = 1024 * KiB

# Units' routes: the largest valid RegistryQuery (50 material names of 60 characters, every
# one escaped as \uXXXX) is about 18 KiB; a unit's token can never buy more than that.
UNIT_BODY_BYTES = 20 * KiB
# Operator JSON (a blacklist entry, a rollout's pause/resume/rollback) is well under 1 KiB;
# everything else, GETs and unknown paths included, gets this too.
DEFAULT_BODY_BYTES = 64 * KiB
# A rollout may name its target and canary units one by one: 256 KiB holds 3,800 unit ids of
# the longest form (64 characters); larger fleets are targeted by division or as a whole.
ROLLOUT_BODY_BYTES = 256 * KiB
# A paper handover at the town (hub.backoffice.steps.Handover): two signatures drawn on the
# back office's page, each at most 4,000 points (hashed on arrival, never kept), and the
# list of materials handed over.
HANDOVER_BODY_BYTES = 256 * KiB
# A feedback form on a case's status page (public): a topic, 500 characters escaped, the
# form token; the page parses nothing larger.
STATUS_FORM_BYTES = 8 * KiB
# The matter catalog file (the seed is 280 KB); it is parsed whole, so it is read whole.
CATALOG_BODY_BYTES = 8 * MiB
# A catalog imported as a draft: the workbook (hub.catalog.workbook.guard refuses one over
# 4 MiB) or the JSON file, through the API or the catalog page's multipart form.
CATALOG_IMPORT_BYTES = 8 * MiB + 64 * KiB
# The working-day calendar: the seed's two years are 2.1 KB as typed; the schema's hundred
# years (protocol.holidays.MAX_YEARS), indented as the seed, stay under 150 KiB.
CALENDAR_BODY_BYTES = 256 * KiB


@dataclass(frozen=True)
class RouteLimit:
    method: str
    path: str  # the exact path, a prefix when it ends with "/", or one with "*" segments
    limit: int

    def matches(self, method: str, path: str) -> bool:
        if method != self.method:
            return False
        if "*" in self.path:
            want, got = self.path.split("/"), path.rstrip("/").split("/")
            return len(want) == len(got) and all(
                w in ("*", g) for w, g in zip(want, got, strict=True)
            )
        if self.path.endswith("/"):
            return path.startswith(self.path)
        return path.rstrip("/") == self.path


@dataclass(frozen=True)
class BodyLimits:
    default: int
    routes: tuple[RouteLimit, ...]

    def __call__(self, method: str, path: str) -> int:
        for route in self.routes:
            if route.matches(method, path):
                return route.limit
        return self.default


def hub_body_limits(settings: HubSettings) -> BodyLimits:
    return BodyLimits(
        DEFAULT_BODY_BYTES,
        (
            RouteLimit("POST", "/api/unit/", UNIT_BODY_BYTES),
            RouteLimit("POST", "/c/", STATUS_FORM_BYTES),
            RouteLimit("POST", "/api/rollouts", ROLLOUT_BODY_BYTES),
            RouteLimit("POST", "/api/catalog", CATALOG_BODY_BYTES),
            RouteLimit("POST", "/api/catalog/drafts", CATALOG_IMPORT_BYTES),
            RouteLimit("POST", "/catalog/import", CATALOG_IMPORT_BYTES),
            RouteLimit("POST", "/api/cases/*/handover", HANDOVER_BODY_BYTES),
            RouteLimit("POST", "/api/calendar", CALENDAR_BODY_BYTES),
            # spooled to disk as it arrives (hub.uploads), read after the operator's token
            RouteLimit("POST", "/api/artifacts", settings.artifact_upload_max_bytes),
        ),
    )
