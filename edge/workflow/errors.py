"""One exception tree for the window workflow. Every refusal carries a stable code (for logs,
tests and the kiosk's logic) and a Chinese message the kiosk shows the clerk as it is."""

from __future__ import annotations


class WorkflowError(Exception):
    code = "workflow_error"

    def __init__(self, message_zh: str, detail: str | None = None) -> None:
        super().__init__(detail or message_zh)
        self.message_zh = message_zh


class WrongState(WorkflowError):
    """The step does not follow from the case's current state (a stale screen, a double tap)."""

    code = "wrong_state"


class NoOpenCase(WorkflowError):
    code = "no_open_case"


class CaseAlreadyOpen(WorkflowError):
    code = "case_already_open"


class ConsentMissing(WorkflowError):
    """Face processing without the resident's separate consent."""

    code = "consent_missing"


class IdentityRejected(WorkflowError):
    code = "identity_rejected"


class InvalidIdNumber(IdentityRejected):
    code = "invalid_id_number"


class UnknownMatter(WorkflowError):
    code = "unknown_matter"


class MaterialsIncomplete(WorkflowError):
    """Accept asked for while materials are missing and 容缺 does not cover them."""

    code = "materials_incomplete"


class GreenChannelRefused(WorkflowError):
    """容缺 asked for an applicant on the integrity blacklist (or with no blacklist at hand)."""

    code = "green_channel_refused"


class NothingMissing(WorkflowError):
    code = "nothing_missing"


class ReasonRequired(WorkflowError):
    """不满意 / 非常不满意 without a reason."""

    code = "reason_required"


class InvalidRating(WorkflowError):
    code = "invalid_rating"


class NoConfiguration(WorkflowError):
    """The unit has no catalog yet: the hub's configuration has not arrived."""

    code = "no_configuration"


class DeviceProblem(WorkflowError):
    """A device step failed (camera, pad, printer); the message says what to do."""

    code = "device_problem"


class SignInRequired(WorkflowError):
    """No clerk is signed in: the kiosk does nothing to a case until one is."""

    code = "sign_in_required"


class NoRoster(WorkflowError):
    """The unit has no clerk roster from the hub yet, so nobody can sign in or open a case."""

    code = "no_roster"


class SignInRefused(WorkflowError):
    """A wrong PIN, an unknown or disabled clerk, or sign-in locked after wrong PINs."""

    code = "sign_in_refused"


class AuthorizationMissing(WorkflowError):
    """代办 without the resident's signed authorisation (委托授权)."""

    code = "authorization_missing"
