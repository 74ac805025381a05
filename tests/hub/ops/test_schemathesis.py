"""The hub's API against its own OpenAPI document (schemathesis, in-process over ASGI, as an
operator with a Bearer token, in production mode, on SQLite and PostgreSQL): whatever
schema-shaped or schema-breaking input it is sent, it answers no 5xx, and every answer
matches the document (status codes, headers, bodies, content types).

One check is left out, for a reason: positive_data_acceptance (a schema-valid request must be
accepted). The hub validates beyond what a JSON Schema can say (a catalog's matters name its
materials, a rollout names units the village registry knows, a town is a known division, a
period's start precedes its end), so a schema-valid request is rightly refused with a 422.

Examples are bounded (EXAMPLES per operation) so the run stays within about two minutes on a
2-core machine. Nothing is excluded: every operation in the document is exercised."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance
from schemathesis.core.result import Err
from sqlmodel import Session

from hub.accounts.roles import Role
from hub.accounts.store import add_account
from hub.app import create_app
from hub.keys import create_key_file
from hub.settings import HubSettings

EXAMPLES = 5  # per operation and per mode (positive, negative)


@pytest.fixture
def operator_app(database_url, tmp_path):
    create_key_file(tmp_path / "hub_signing_key.pem")
    settings_ = HubSettings(
        database_url=database_url, broker_url=None, data_dir=tmp_path, environment="production"
    )
    app = create_app(settings_)
    with Session(app.state.engine) as s:
        token = add_account(s, name="fuzz", role=Role.OPERATOR)
        s.commit()
    app.state.fuzz_headers = {"Authorization": f"Bearer {token}"}
    yield app
    app.state.engine.dispose()


# derandomized: the same examples every run (flaky is broken); no shrinking, to stay bounded
BOUNDED = settings(
    max_examples=EXAMPLES,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)


def _fuzz(operation, headers: dict[str, str], mode: GenerationMode) -> None:
    @BOUNDED
    @given(case=operation.as_strategy(mode))
    def run(case) -> None:
        case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

    run()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, BaseExceptionGroup):
        return "\n".join(_describe(e) for e in exc.exceptions)
    return f"{type(exc).__name__}: {exc}"


def test_the_api_answers_as_its_document_says(operator_app):
    headers = operator_app.state.fuzz_headers
    schema = schemathesis.openapi.from_asgi("/openapi.json", operator_app, headers=headers)
    failures, exercised = [], 0
    for result in schema.get_all_operations():
        if isinstance(result, Err):  # an operation the document describes unusably
            failures.append(f"invalid operation: {result.err()}")
            continue
        operation = result.ok()
        exercised += 1
        for mode in GenerationMode:  # schema-shaped input, then schema-breaking input
            try:
                _fuzz(operation, headers, mode)
            except (KeyboardInterrupt, SystemExit):
                raise
            except Unsatisfiable:
                # an operation without parameters or body has no schema-breaking input
                assert mode is GenerationMode.NEGATIVE, operation.label
            except BaseException as exc:  # every failure is reported, not only the first
                failures.append(f"{operation.label} ({mode.value}): {_describe(exc)}")
    assert exercised >= 50
    assert not failures, "\n\n".join(failures)
