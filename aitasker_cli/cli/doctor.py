"""`aitasker doctor`: one line per check of this setup; exit 1 when a check fails."""

from __future__ import annotations

from aitasker_cli import doctor, render
from aitasker_cli.cli.common import Common, api_command, connect
from aitasker_cli.errors import AitaskerError, ExitCode

CHECKS = render.View(
    noun="check",
    plural="checks",
    columns=("check", "status", "detail", "fix"),
    detail=("check", "status", "detail", "fix"),
)


@api_command
def command(common: Common) -> None:
    """Check the installation, config, token, keyring, API and clock, and say what to fix."""
    with connect(common) as session:
        checks = doctor.run_checks(session.settings, session.client.verify_token)
        render.show_many((check.as_dict() for check in checks), CHECKS, session.output)
    failed = [check for check in checks if check.status == "fail"]
    if failed:
        problem = AitaskerError(
            f"{len(failed)} check(s) failed: {', '.join(check.check for check in failed)}",
            hint="Each failed check says how to fix it.",
        )
        problem.exit_code = ExitCode(failed[0].exit_code or ExitCode.UNEXPECTED)
        raise problem
