"""The command line's one error boundary: every error a person can cause or meet is one line,
``error (code): message``, on stderr, with a stable code; exit status 2 for bad usage or
settings, 1 for a failure while running, 130 when interrupted. A traceback only with
``--debug`` (or BIANMIN_DEBUG=1), for the developer who asks for it."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import typer
from pydantic import ValidationError


def _click_error(exc: BaseException) -> bool:
    """A click exception (typer vendors click in recent versions, so match by shape): it
    knows its exit status and how to word itself."""
    return isinstance(getattr(exc, "exit_code", None), int) and hasattr(exc, "format_message")


USAGE = 2
FAILURE = 1
INTERRUPTED = 130
# Exceptions that say the command was given something wrong (a setting, a file, a URL), by
# their `code`; anything else with a `code` failed while running.
_USAGE_CODES = frozenset(
    {"invalid_settings", "invalid_url", "invalid_profile", "invalid_catalog", "usage"}
)


def debugging(argv: Sequence[str]) -> bool:
    return "--debug" in argv or os.environ.get("BIANMIN_DEBUG", "") not in ("", "0")


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def _validation(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or exc.title
    msg = str(first["msg"]).removeprefix("Value error, ")
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {msg}{more}"


def describe(exc: BaseException) -> tuple[str, str, int]:
    """(code, message, exit status) for an exception that reached the command line."""
    if _click_error(exc):
        ctx: Any = getattr(exc, "ctx", None)
        hint = f" (see {ctx.command_path} --help)" if ctx is not None else ""
        status = int(getattr(exc, "exit_code", USAGE))
        code = "usage" if status == USAGE else "error"
        return code, one_line(exc.format_message()) + hint, status  # type: ignore[attr-defined]
    if isinstance(exc, ValidationError):
        return "invalid_settings", one_line(_validation(exc)), USAGE
    if isinstance(exc, KeyboardInterrupt | typer.Abort):
        return "interrupted", "stopped by the user", INTERRUPTED
    family = type(exc).__module__.split(".")[0]
    if family == "sqlalchemy":  # its `code` is a documentation link's, not ours
        cause = getattr(exc, "orig", None) or exc
        unavailable = type(exc).__name__ in ("OperationalError", "InterfaceError")
        code = "database_unavailable" if unavailable else "database_error"
        return code, one_line(str(cause)), FAILURE
    if family == "httpx":
        name = type(exc).__name__
        reached = not (name == "ConnectError" or name.endswith("Timeout"))
        request = getattr(exc, "_request", None)
        where = f"{request.url}: " if request is not None else ""
        return "hub_error" if reached else "hub_unreachable", one_line(f"{where}{exc}"), FAILURE
    own: Any = getattr(exc, "code", None)
    if isinstance(own, str) and own:
        return own, one_line(str(exc)), USAGE if own in _USAGE_CODES else FAILURE
    if isinstance(exc, FileNotFoundError | PermissionError | IsADirectoryError):
        return "file", one_line(f"{exc.strerror}: {exc.filename}"), USAGE
    if isinstance(exc, OSError):
        return "os_error", one_line(str(exc)), FAILURE
    name = type(exc).__name__
    return "internal", one_line(f"{name}: {exc}") + " (rerun with --debug for details)", FAILURE


def run(app: typer.Typer, argv: Sequence[str] | None = None) -> NoReturn:
    args = list(sys.argv[1:] if argv is None else argv)
    debug = debugging(args)
    args = [a for a in args if a != "--debug"]
    command = typer.main.get_command(app)
    try:
        result: Any = command.main(args=args, prog_name="bianmin", standalone_mode=False)
    except typer.Exit as exc:  # raised outside a command's own handling
        sys.exit(exc.exit_code)
    except BaseException as exc:
        if isinstance(exc, SystemExit):
            raise
        if debug:
            raise
        code, message, status = describe(exc)
        if not message.strip().startswith("(see "):
            typer.echo(f"error ({code}): {message}", err=True)
        # else: a group called without a command has printed its help already
        sys.exit(status)
    sys.exit(result if isinstance(result, int) else 0)
