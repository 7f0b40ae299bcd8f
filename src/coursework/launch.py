"""The `coursework` console script: the stack's warm runner takes the command when it can, else the CLI runs here."""

from __future__ import annotations

import os
import sys


def main() -> None:
    """Hand the command to the warm runner (coursework.warm), or import the CLI and run it in this process."""
    from coursework import warm

    code = warm.try_run(sys.argv[1:])
    if code is None:
        from coursework.cli import main as run_here

        run_here()
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
