"""`manage.py`'s entry point: a database outage ends any command with one line, not a traceback.

Every management command (`sync_models`, `push_model`, `ensure_model`, `migrate`, ...) reads or
writes the database; when the server is down or unreachable Django would print a driver traceback
tens of lines long. Here the command line is run through `execute_from_command_line` as usual, and
an outage (`api.errors.is_database_outage`) becomes `Error: the database is unavailable (...)` on
standard error and exit status 1, as Django does for a `CommandError`. `--traceback` keeps the
traceback. Other exceptions are left alone: they are bugs, and their traceback is wanted.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

MESSAGE_LIMIT = 300
"""Characters of the driver's message kept (its first line: e.g. which socket refused)."""


def outage_message(exc: BaseException) -> str:
    """The one line printed for a database outage."""
    detail = (str(exc).strip().splitlines() or [""])[0][:MESSAGE_LIMIT]
    reason = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    return f"Error: the database is unavailable ({reason}). Try again when it answers."


def run_command_line(argv: Sequence[str]) -> int:
    """Run `manage.py argv`; return the exit status for a database outage (1), else 0.

    Raises:
        Exception: Anything else the command raises (as `execute_from_command_line` does).
    """
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(list(argv))
    except Exception as exc:
        from api.errors import is_database_outage

        if "--traceback" in argv or not is_database_outage(exc):
            raise
        sys.stderr.write(outage_message(exc) + "\n")
        return 1
    return 0
