"""`aitasker doctor`: one line per check of this setup; a failed check sets the exit code."""

from __future__ import annotations

from datetime import datetime

from aitasker_cli import doctor, views
from aitasker_cli.cli.common import Common, api_command, connect, render
from aitasker_cli.errors import AitaskerError, ExitCode


@api_command
def command(common: Common) -> None:
    """Check the installation, config, token, keyring, API and clock, and say what to fix."""

    def probe() -> datetime | None:
        with connect(common) as session:
            return session.client.verify_token()

    checks = doctor.run_checks(common.settings, probe)
    try:
        chosen = common.settings().output
    except AitaskerError:  # a broken config file is itself one of the checks
        chosen = common.output.value if common.output else None
    output = render.output_options(chosen, common.fields, no_color=common.no_color)
    render.show_many((check.as_dict() for check in checks), views.CHECKS, output)
    failed = [check for check in checks if check.status == "fail"]
    if failed:
        problem = AitaskerError(
            f"{len(failed)} check(s) failed: {', '.join(check.check for check in failed)}",
            hint="Each failed check says how to fix it.",
        )
        problem.exit_code = ExitCode(failed[0].exit_code or ExitCode.UNEXPECTED)
        raise problem
