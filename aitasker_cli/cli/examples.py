"""The examples at the end of each command's `--help`, keyed by command path.

Plain data, read on every `--help`: no imports. A line starting with `#` says what the
next one does; the others are commands to paste as they are. The IDs are the sandbox's
demo fleet (`aitasker sandbox reset` brings it back), so every `--sandbox` line works as
shown; tests/cli/test_help.py runs them.
"""

from __future__ import annotations

EXAMPLES: dict[tuple[str, ...], tuple[str, ...]] = {
    (): (
        "# Try it with no account: the sandbox is a demo fleet on this machine",
        "aitasker --sandbox agents list",
        "# Log in once, then list your own agents",
        "aitasker auth login",
        "aitasker agents list --status active",
        "# The help of any command",
        "aitasker help agents pause",
    ),
    ("agents",): (
        "aitasker --sandbox agents list",
        "aitasker --sandbox agents show 1888df20-5bd0-4521-be84-762b3b9be05d",
        "aitasker --sandbox agents pause 1888df20-5bd0-4521-be84-762b3b9be05d",
    ),
    ("agents", "list"): (
        "aitasker --sandbox agents list --status paused",
        "# Every agent, as JSON with only the fields you need",
        "aitasker --sandbox agents list --all -o json --fields id,display_name,status",
        "# Only the IDs, one a line, for scripts",
        "aitasker --sandbox agents list --status active -o id",
    ),
    ("agents", "show"): (
        "aitasker --sandbox agents show 1888df20-5bd0-4521-be84-762b3b9be05d",
        "aitasker --sandbox agents show 1888df20-5bd0-4521-be84-762b3b9be05d -o json",
    ),
    ("agents", "pause"): (
        "aitasker --sandbox agents pause 1888df20-5bd0-4521-be84-762b3b9be05d",
        "# Pause and wait until the agent is paused",
        "aitasker --sandbox agents pause --wait 161b80de-c9ce-4ddc-aa52-183e56dfd21e",
        "# See which agents --all would pause, then pause them without a question",
        "aitasker --sandbox agents pause --all --where tier=pro --dry-run",
        "aitasker --sandbox agents pause --all --where tier=pro --yes",
    ),
    ("agents", "resume"): (
        "aitasker --sandbox agents resume 0c2cf268-bc96-435d-92c9-2b285eb3f861",
        "# Resume every paused agent, eight requests at a time",
        "aitasker --sandbox agents list --status paused --all -o id |",
        "  aitasker --sandbox agents resume --stdin -j 8",
    ),
    ("agents", "cancel"): (
        "aitasker agents cancel Maya",
        "aitasker agents list --status paused -o id | aitasker agents cancel --stdin --yes",
    ),
    ("agents", "wait"): (
        "aitasker --sandbox agents wait 1888df20 --for active",
        "# Pause, then wait up to a minute until the agent is paused",
        "aitasker agents pause 1888df20",
        "aitasker agents wait 1888df20 --for paused --wait-timeout 60",
    ),
    ("tasks",): (
        "aitasker --sandbox tasks inbox",
        "aitasker --sandbox tasks show 7765ad9c",
        "aitasker --sandbox tasks list --status running",
    ),
    ("tasks", "list"): (
        "aitasker --sandbox tasks list",
        "# One workspace's tasks that failed or were rejected",
        'aitasker --sandbox tasks list -w "Søren\'s workspace" --status failed --status rejected',
        "# Every task of one agent, as JSON lines",
        "aitasker --sandbox tasks list --agent 219d70b4 --all -o ndjson",
    ),
    ("tasks", "inbox"): (
        "aitasker --sandbox tasks inbox",
        "# How many wait, for a prompt or a CI check",
        "aitasker --sandbox tasks inbox --count",
        "# What each task is, with the fingerprint a decision can be bound to",
        "aitasker --sandbox tasks inbox -o json --fields id,workspace_id,title,fingerprint",
    ),
    ("tasks", "show"): (
        "aitasker --sandbox tasks show 7765ad9c",
        "# By workspace name and the start of the task's ID, as JSON",
        'aitasker --sandbox tasks show "Jürgen\'s workspace/7765" -o json',
    ),
    ("tasks", "wait"): (
        "aitasker tasks wait 3c90c3cc",
        "# In CI: fail the job if the task failed or was rejected",
        "aitasker tasks wait 3c90c3cc --exit-status --wait-timeout 1800",
    ),
    ("tasks", "approve"): (
        "aitasker tasks inbox",
        "aitasker tasks approve 3c90c3cc",
        "# Approve exactly what the inbox listed, no more",
        "aitasker tasks inbox -o ndjson | aitasker tasks approve --stdin --yes",
    ),
    ("tasks", "reject"): (
        'aitasker tasks reject 3c90c3cc --reason "Use the staging budget instead"',
        "aitasker tasks reject ws-name/3c90 --reason-file feedback.txt",
    ),
    ("history",): (
        "aitasker history",
        "# Every operation in the journal, as JSON",
        "aitasker history --all -o json",
        "# The agents one operation changed, and how",
        "aitasker history 20261129T112005-3f9a2c",
    ),
    ("undo",): (
        "# See what undoing the last pause or resume would do, then do it",
        "aitasker undo --dry-run",
        "aitasker undo --yes",
        "# Undo what a CI job did, from the results it printed",
        "aitasker undo --from results.ndjson --yes",
    ),
    ("workspaces",): (
        "aitasker --sandbox workspaces list",
        "aitasker --sandbox workspaces tasks 24e166c7-0794-4750-acc3-ba5031835d1d",
    ),
    ("workspaces", "list"): (
        "aitasker --sandbox workspaces list",
        "aitasker --sandbox workspaces list --all -o csv --fields id,name,status",
    ),
    ("workspaces", "show"): (
        "aitasker --sandbox workspaces show 24e166c7-0794-4750-acc3-ba5031835d1d",
        "aitasker --sandbox workspaces show 24e166c7-0794-4750-acc3-ba5031835d1d -o json",
    ),
    ("workspaces", "tasks"): (
        "aitasker --sandbox workspaces tasks 24e166c7-0794-4750-acc3-ba5031835d1d",
        "# Only the tasks waiting for your review, as JSON",
        "aitasker --sandbox workspaces tasks 24e166c7-0794-4750-acc3-ba5031835d1d \\",
        "  --status review -o json",
    ),
    ("auth",): (
        "aitasker auth login",
        "aitasker auth status",
        "aitasker auth logout",
    ),
    ("auth", "login"): (
        "# Paste the token when asked (it is not shown)",
        "aitasker auth login",
        "# A second account under its own profile",
        "aitasker auth login --profile work",
        "# From a secret store, without a prompt",
        'printf %s "$AITASKER_TOKEN" | aitasker auth login --with-token',
    ),
    ("auth", "logout"): (
        "aitasker auth logout",
        "aitasker auth logout --profile work",
    ),
    ("auth", "status"): (
        "aitasker auth status",
        "aitasker auth status --profile work -o json",
    ),
    ("auth", "token"): (
        "# Use the stored token with another tool",
        'curl -H "Authorization: Bearer $(aitasker auth token)" \\',
        "  https://api.aitasker.co/api/v1/workspaces",
        "# The token of another profile",
        "aitasker auth token --profile work",
    ),
    ("api",): (
        "aitasker --sandbox api /api/v1/workspaces -f limit=2",
        "# Every page of a list, then pick a field with jq",
        "aitasker --sandbox api /api/v1/workspaces/agents --paginate | jq '.[].status'",
        "# A POST: resume an agent by its ID",
        "id=0c2cf268-bc96-435d-92c9-2b285eb3f861",
        'aitasker --sandbox api -X POST "/api/v1/workspaces/agents/$id/resume"',
    ),
    ("schema",): (
        "aitasker schema",
        "# The schema of a task as every command prints it, to check a script's input",
        "aitasker schema task > task.schema.json",
    ),
    ("mcp",): (
        "# Read-only: the assistant lists and shows, and changes nothing",
        "aitasker mcp",
        "# Let it pause, resume and undo too (journaled like the terminal's changes)",
        "aitasker mcp --allow-changes",
    ),
    ("sandbox",): (
        "aitasker --sandbox agents list",
        "aitasker sandbox reset",
        "aitasker sandbox serve --port 8765",
    ),
    ("sandbox", "serve"): (
        "aitasker sandbox serve",
        "# Point a test run at it on a port of your choice",
        "aitasker sandbox serve --port 9000 &",
        "AITASKER_API_URL=http://127.0.0.1:9000 AITASKER_TOKEN=any aitasker agents list",
    ),
    ("sandbox", "reset"): (
        "aitasker sandbox reset",
        "aitasker sandbox reset --agents 200",
    ),
    ("doctor",): (
        "aitasker doctor",
        "aitasker --sandbox doctor",
        "aitasker doctor --profile work -o json",
    ),
    ("completion",): (
        "aitasker completion bash > ~/.local/share/bash-completion/completions/aitasker",
        'aitasker completion zsh > "${fpath[1]}/_aitasker"',
        "aitasker completion fish > ~/.config/fish/completions/aitasker.fish",
    ),
}
"""Two to four commands for each command and group; `()` is `aitasker` itself."""


def examples_text(path: tuple[str, ...]) -> str | None:
    """The examples of the command at `path`, one a line, or None when it has none."""
    lines = EXAMPLES.get(path)
    return "\n".join(lines) if lines else None
