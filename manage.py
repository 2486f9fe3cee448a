#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    """Run administrative tasks."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hippo_site.settings")
    from hippo_site.commands import run_command_line

    # A database outage ends any command with one line and exit status 1, not a traceback.
    sys.exit(run_command_line(sys.argv))


if __name__ == "__main__":
    main()
