"""The question before a final action (cancel, approve, reject): what will be sent to, shown
item by item, and what the person must answer.

Nothing can undo these, so every run that sends one asks first (unless --yes), whether the
items were listed one by one or selected. `agents cancel` wants the agent's name or short ID
typed (the count, for several), as GitHub asks before deleting a repository; decisions on tasks
show each task's title, agent and first lines of what it proposes, and ask yes or no.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from aitasker_cli.core.errors import UsageError
from aitasker_cli.ops.outcomes import count_of, settled
from aitasker_cli.ops.reporting import Confirmation, Reporter
from aitasker_cli.ops.targets import Target

if TYPE_CHECKING:
    from aitasker_cli.domain.actions import Action

SHOWN = 10
"""How many items the question lists before "and N more"."""
ACTION_LINES = 8
"""How many lines of a task's proposed actions (as indented JSON) the question shows; longer
ones show one line fewer and say how many more there are."""
SHORT = 8
"""Characters of a short ID."""
WIDEST = 160
"""The most characters of one line of the question: a title or an action may be huge."""


def confirm_final(
    reporter: Reporter,
    targets: Sequence[Target],
    action: Action,
    yes: bool,
    agent_names: Mapping[str, str] | None = None,
) -> None:
    """Ask before sending a final action to the items of `targets` it will be sent to (those
    whose outcome is not known without it); exit 2 if the answer is no, or if no one can be
    asked and `yes` was not given."""
    if yes:
        return
    to_send = [target for target in targets if settled(target, False) is None]
    if not to_send:
        return  # nothing will be sent, so there is nothing to confirm
    if not reporter.confirm(final_confirmation(action, to_send, agent_names or {})):
        raise UsageError("nothing was sent: not confirmed")


def final_confirmation(
    action: Action, targets: Sequence[Target], agent_names: Mapping[str, str]
) -> Confirmation:
    """The question for `targets`, each as it was read (`target.agent` holds it)."""
    noun = "task" if action.resource == "tasks" else "agent"
    lines: list[str] = []
    for target in targets[:SHOWN]:
        if noun == "task":
            lines.extend(_task_lines(target, agent_names))
        else:
            name = target.name or "(no name)"
            lines.append(f"  {name} ({target.id[:SHORT]}), {target.before or 'status unknown'}")
    if len(targets) > SHOWN:
        lines.append(f"  and {len(targets) - SHOWN} more")
    lines = [_clip(line) for line in lines]
    names = [target.name or target.id[:SHORT] for target in targets[:SHOWN]]
    return Confirmation(
        action.name,
        len(targets),
        names,
        details=lines,
        answers=_answers(targets) if noun == "agent" else (),
        noun=noun,
    )


def _answers(targets: Sequence[Target]) -> tuple[str, ...]:
    """What may be typed to cancel: one agent's name (if it has one that is not blank) or its
    short ID; for several, their number."""
    if len(targets) > 1:
        return (str(len(targets)),)
    only = targets[0]
    short = only.id[:SHORT]
    return (only.name, short) if only.name.strip() else (short,)


def _task_lines(target: Target, agent_names: Mapping[str, str]) -> list[str]:
    task: Mapping[str, Any] = target.agent if isinstance(target.agent, Mapping) else {}
    agent_id = str(task.get("hired_agent_id") or "")
    agent = agent_names.get(agent_id) or (agent_id[:SHORT] if agent_id else "unknown")
    title = target.name or "(no title)"
    level = task.get("approval_level")
    by = f"    agent {agent}" + (f", approval {level}" if level else "") + ", proposes:"
    head = [f"  {title} ({target.id[:SHORT]})", by]
    proposed = task.get("proposed_actions")
    if proposed is None:
        return [head[0], f"    agent {agent}, no proposed actions"]
    text = json.dumps(proposed, indent=2, ensure_ascii=False, default=str).splitlines()
    if len(text) <= ACTION_LINES:
        return [*head, *(f"    {line}" for line in text)]
    shown = [f"    {line}" for line in text[: ACTION_LINES - 1]]
    shown.append(f"    … ({len(text) - ACTION_LINES + 1} more lines: aitasker tasks show)")
    return [*head, *shown]


def _clip(line: str) -> str:
    return line if len(line) <= WIDEST else line[: WIDEST - 1] + "…"


def question(request: Confirmation) -> str:
    """The line that asks: `Cancel 1 agent? Type its name or short ID to confirm:`."""
    asked = f"{request.verb.capitalize()} {count_of(request.total, request.noun)}? "
    asked += "This cannot be undone."
    if not request.answers:
        return asked
    if request.total > 1:
        return f"{asked} Type {request.total} to confirm:"
    return f"{asked} Type its name or short ID to confirm:"
