"""The hub's exception tree. Each error has a stable code and the HTTP status the API answers
with; persistence functions raise them and one handler turns them into responses, so routes
stay thin. (Catalog file errors keep their own tree in ``hub.catalog.errors``.)"""

from __future__ import annotations

from typing import ClassVar


class HubError(Exception):
    code: ClassVar[str] = "hub_error"
    status: ClassVar[int] = 500


class SettingsProblem(HubError):
    """Settings that would make the hub unsafe or unable to run; the message says what to fix."""

    code = "invalid_settings"


class SigningKeyError(SettingsProblem):
    code = "signing_key"


# -- authentication and roles -----------------------------------------------------------------


class Unauthorized(HubError):
    code = "unauthorized"
    status = 401


class Forbidden(HubError):
    code = "forbidden"
    status = 403


class OutOfScope(Forbidden):
    """A back office asking about a case outside its town or department."""

    code = "out_of_scope"


class CsrfFailed(Forbidden):
    """A change asked with the session cookie but without the session's CSRF token, or from
    another site's page (hub.accounts.csrf)."""

    code = "csrf_failed"


class AccountExists(HubError):
    code = "account_exists"
    status = 409


# -- requests -----------------------------------------------------------------------------------


class NotFound(HubError):
    code = "not_found"
    status = 404


class UnitNotFound(NotFound):
    code = "unit_not_found"


class RolloutNotFound(NotFound):
    code = "rollout_not_found"


class ArtifactNotFound(NotFound):
    code = "artifact_not_found"


class CaseNotFound(NotFound):
    code = "case_not_found"


class BodyTooLarge(HubError):
    """A request body over its route's limit (hub.limits), refused before it is read whole."""

    code = "body_too_large"
    status = 413


class UnknownHost(HubError):
    """A request addressed to a host name the hub does not serve (hub.trusted_host)."""

    code = "unknown_host"
    status = 400


class InvalidRequest(HubError):
    code = "invalid_request"
    status = 422


class UnknownProfile(InvalidRequest):
    code = "unknown_profile"


class UnknownTarget(InvalidRequest):
    """A unit or division the village registry does not know."""

    code = "unknown_target"


class Conflict(HubError):
    code = "conflict"
    status = 409


class UnitsBusy(Conflict):
    """Some target units are already in a running or paused rollout."""

    code = "units_busy"


class InvalidTransition(Conflict):
    """Pause, resume or roll back from a state that does not allow it."""

    code = "invalid_transition"


class StepNotAllowed(Conflict):
    """A back-office step the case's status does not allow (receive a completed case, ...)."""

    code = "step_not_allowed"


class NothingToRollBack(Conflict):
    code = "nothing_to_roll_back"


class RateLimited(HubError):
    """Too many requests from one unit or client address within the window (hub.ratelimit)."""

    code = "rate_limited"
    status = 429


class ReferenceKeyMissing(HubError):
    """The hub has no ID reference key file outside local mode (hub.window.idkey)."""

    code = "reference_key_missing"
    status = 503


class AssetMissing(HubError):
    """A front-end library the pages load (ECharts) is not installed beside the hub
    (hub.web.vendor says how to install it)."""

    code = "asset_missing"
    status = 503
