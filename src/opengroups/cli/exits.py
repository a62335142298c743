"""How a command ends: its exit code, and any failure as one line on standard error.

Exit codes (README, docs/cli.md): 0 success; 1 an unexpected failure (a bug, a file that could
not be written); 2 bad input or a refusal (a usage error, a bad setting, a rule the services
enforce); 3 the database cannot be reached or refused the connection; 130 interrupted. A
traceback is printed only with ``OPENGROUPS_LOG_LEVEL=debug``.

Light on purpose (``cli.main`` imports it): what explains a failure is imported when one
happens.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

import typer
from typer.core import TyperGroup

EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_BAD_INPUT = 2
EXIT_DATABASE_UNREACHABLE = 3


def say(message: str, *, label: str = "error", color: str = "red") -> None:
    """``label: message`` as one line on standard error (coloured on a terminal)."""
    line = " ".join(message.split())
    typer.echo(f"{typer.style(label + ':', fg=color, bold=True)} {line}", err=True)


def warn(message: str) -> None:
    say(message, label="warning", color="yellow")


def fail(message: str) -> typer.Exit:
    """Print ``message`` as an error; the exit to raise (bad input, exit code 2)."""
    say(message)
    return typer.Exit(EXIT_BAD_INPUT)


def _settings_problem(exc: Any) -> str:
    """A settings ``ValidationError`` as the variables to fix, on one line."""
    problems = []
    for problem in exc.errors():
        name = "OPENGROUPS_" + "_".join(str(part) for part in problem["loc"]).upper()
        problems.append(f"{name}: {problem['msg'].removeprefix('Value error, ')}")
    return "; ".join(problems)


def explain(exc: BaseException) -> tuple[int, str]:
    """The exit code and the one-line message for a failure that no command turned into a
    message itself."""
    from pydantic import ValidationError

    from opengroups.config import EnvFileMissing
    from opengroups.errors import OpenGroupsError

    if isinstance(exc, OpenGroupsError):
        return EXIT_BAD_INPUT, exc.message
    if isinstance(exc, ValidationError) and exc.title == "Settings":
        return EXIT_BAD_INPUT, _settings_problem(exc)
    if isinstance(exc, EnvFileMissing):
        return EXIT_BAD_INPUT, str(exc)

    from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

    from opengroups.kit.faults import unavailable

    if isinstance(exc, ArgumentError | NoSuchModuleError):
        return EXIT_BAD_INPUT, f"database URL: {exc}"
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    detail = f" ({reason[0]})" if reason else ""
    # No statement: the error came while connecting (unknown database or role, bad password).
    if isinstance(exc, DBAPIError) and exc.statement is None:
        return EXIT_DATABASE_UNREACHABLE, f"the database refused the connection{detail}."
    if unavailable(exc) is not None:
        return EXIT_DATABASE_UNREACHABLE, f"the database cannot be reached{detail}."
    if isinstance(exc, OSError) and exc.strerror:
        where = f"{exc.filename}: " if exc.filename else ""
        return EXIT_UNEXPECTED, f"{where}{exc.strerror}"
    return EXIT_UNEXPECTED, f"unexpected failure: {type(exc).__name__}: {exc}"


def _debugging() -> bool:
    return os.environ.get("OPENGROUPS_LOG_LEVEL", "").strip().lower() in ("debug", "trace")


def _usage_problem(exc: typer.TyperException) -> int:
    """A usage error (unknown option, bad value) as one line naming the help to read."""
    context = getattr(exc, "ctx", None)
    if type(exc).__name__ == "NoArgsIsHelpError" and context is not None:
        typer.echo(context.get_help(), err=True)
        return exc.exit_code
    hint = f" (see '{context.command_path} -h')" if context is not None else ""
    say(exc.format_message().replace("Value error, ", "") + hint)
    return exc.exit_code


class Cli(TyperGroup):
    """The root command: every outcome is an exit code, every failure one line."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        run = super().main
        if not standalone_mode:  # a caller that handles the outcome itself
            return run(args, prog_name, complete_var, False, windows_expand_args, **extra)
        try:
            result = run(args, prog_name, complete_var, False, windows_expand_args, **extra)
            code = result if isinstance(result, int) else EXIT_OK
        except typer.Abort:
            say("aborted.")
            code = EXIT_UNEXPECTED
        except typer.TyperException as exc:  # click's errors, as typer (0.29 on) vendors it
            code = _usage_problem(exc)
        except Exception as exc:
            if _debugging():
                import traceback

                traceback.print_exception(exc, file=sys.stderr)
            code, message = explain(exc)
            if message.startswith("unexpected failure") and not _debugging():
                message += " (OPENGROUPS_LOG_LEVEL=debug shows the traceback)"
            say(message)
        sys.exit(code)
