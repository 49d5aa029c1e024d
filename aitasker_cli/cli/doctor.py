"""`aitasker doctor`: one line per check of this setup; a failed check sets the exit code."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from aitasker_cli.cli.options import Common, api_command
from aitasker_cli.cli.session import connect
from aitasker_cli.core.errors import AitaskerError, ExitCode
from aitasker_cli.domain import views
from aitasker_cli.ops import doctor

if TYPE_CHECKING:
    from aitasker_cli.local.config import Settings


@api_command
def command(common: Common) -> None:
    """Check the installation, config, token, keyring, API and clock, and say what to fix."""

    from aitasker_cli.output import render

    def probe() -> datetime | None:
        with connect(common) as session:
            return session.client.verify_token()

    resolved: list[Settings] = []

    def load_settings() -> Settings:
        resolved.append(common.settings())
        return resolved[-1]

    checks = doctor.run_checks(load_settings, probe)
    # Resolved once: finding an unknown profile may ask a keyring that takes seconds to fail.
    # Settings that failed to load are themselves one of the checks.
    given = common.output.value if common.output else None
    chosen = resolved[0].output if resolved else given
    output = render.output_options(chosen, common.fields, no_color=common.no_color)
    render.show_many((check.as_dict() for check in checks), views.CHECKS, output)
    failed = [check for check in checks if check.status is doctor.Status.fail]
    if failed:
        problem = AitaskerError(
            f"{len(failed)} check(s) failed: {', '.join(check.check for check in failed)}",
            hint="Each failed check says how to fix it.",
        )
        problem.exit_code = ExitCode(failed[0].exit_code or ExitCode.UNEXPECTED)
        raise problem
