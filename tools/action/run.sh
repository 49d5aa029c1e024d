#!/usr/bin/env bash
# The steps of the aitasker GitHub Action (action.yml at the repository root):
#
#   run.sh install   install aitasker from the action's own folder with pipx
#   run.sh run       run `aitasker COMMAND`, set the step's outputs, exit with aitasker's code
#
# Everything comes from the environment, never from `${{ }}` pasted into a script:
#   AITASKER_ACTION_COMMAND   the words after `aitasker` (split with Python's shlex: quotes
#                             group words, nothing is expanded or run)
#   AITASKER_ACTION_TOKEN     the API token, exported to aitasker as AITASKER_TOKEN (if given)
#   AITASKER_ACTION_API_URL   the API URL, exported as AITASKER_API_URL (if given)
#   AITASKER_ACTION_INSTALL   auto (default): install unless this version of aitasker is on
#                             PATH already; always; never (use the aitasker on PATH)
#   GITHUB_OUTPUT, GITHUB_PATH, RUNNER_TEMP   as the runner sets them
set -euo pipefail

action_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
install_dir="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/aitasker-action"

fail() {
    # An annotation of our own, its message escaped as GitHub documents.
    local message="$1"
    message="${message//%/%25}"
    message="${message//$'\r'/%0D}"
    message="${message//$'\n'/%0A}"
    echo "::error title=aitasker action::$message" >&2
    if [ "${phase:-}" = run ] && [ -n "${GITHUB_OUTPUT:-}" ]; then
        # The step's outputs still say what happened: aitasker did not run, a usage error.
        printf 'exit-code=2\noperation-id=\n' >> "$GITHUB_OUTPUT" || true
    fi
    exit 2
}

python_command() {
    command -v python3 || command -v python || fail "no python3 or python on PATH"
}

action_version() {
    sed -n 's/^__version__ = "\(.*\)"$/\1/p' "$action_root/aitasker_cli/__init__.py"
}

install() {
    local mode="${AITASKER_ACTION_INSTALL:-auto}" wanted found=""
    wanted="aitasker $(action_version)"
    case "$mode" in
        auto | always | never) ;;
        *) fail "AITASKER_ACTION_INSTALL is '$mode'; use auto, always or never" ;;
    esac
    if [ "$mode" != always ] && command -v aitasker > /dev/null; then
        found="$(aitasker --version 2> /dev/null || true)"
    fi
    if [ "$mode" = never ] || { [ "$mode" = auto ] && [ "$found" = "$wanted" ]; }; then
        [ -n "$found" ] || fail "AITASKER_ACTION_INSTALL is never, and no aitasker is on PATH"
        echo "Using ${found} ($(command -v aitasker))."
        return
    fi
    command -v pipx > /dev/null || fail "pipx is needed to install aitasker, and is not on PATH"
    echo "Installing ${wanted} from ${action_root} with pipx."
    PIPX_HOME="$install_dir/pipx" PIPX_BIN_DIR="$install_dir/bin" \
        pipx install --force --python "$(python_command)" "$action_root"
    # This step's later steps, and the job's, find it there.
    echo "$install_dir/bin" >> "${GITHUB_PATH:?GITHUB_PATH is not set: not on a runner?}"
}

split_words() {
    # The command input as NUL-terminated words, on stdout.
    "$(python_command)" -c '
import os, shlex, sys
try:
    words = shlex.split(os.environ["AITASKER_ACTION_COMMAND"])
except ValueError as exc:
    sys.exit(f"the command input cannot be split into words: {exc}")
if words[:1] == ["aitasker"]:
    words = words[1:]
sys.stdout.write("".join(word + "\0" for word in words))
'
}

operation_of() {
    # The operation ID in per-item results (-o ndjson, or -o json), from the file $1.
    "$(python_command)" - "$1" << 'PYTHON'
import json, re, sys

with open(sys.argv[1], encoding="utf-8", errors="replace") as file:
    text = file.read()
try:
    values = [json.loads(text)]
except ValueError:
    values = []
    for line in text.splitlines():
        try:
            values.append(json.loads(line))
        except ValueError:
            pass
items = [item for value in values for item in (value if isinstance(value, list) else [value])]
for item in items:
    operation = item.get("operation") if isinstance(item, dict) and "outcome" in item else None
    # Only an ID as the journal makes them: the value goes into $GITHUB_OUTPUT as one line.
    if isinstance(operation, str) and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}", operation):
        print(operation)
        break
PYTHON
}

run() {
    local words=() word output reason code operation
    [ -n "${AITASKER_ACTION_COMMAND:-}" ] || fail "the command input is empty"
    output="$(mktemp)"
    reason="$(split_words 2>&1 > "$output")" || fail "$reason"
    while IFS= read -r -d '' word; do
        words+=("$word")
    done < "$output"
    [ "${#words[@]}" -gt 0 ] || fail "the command input is empty"

    if [ -n "${AITASKER_ACTION_TOKEN:-}" ]; then
        local mask="${AITASKER_ACTION_TOKEN//%/%25}"
        mask="${mask//$'\r'/%0D}"
        echo "::add-mask::${mask//$'\n'/%0A}"
        export AITASKER_TOKEN="$AITASKER_ACTION_TOKEN"
    fi
    unset AITASKER_ACTION_TOKEN
    if [ -n "${AITASKER_ACTION_API_URL:-}" ]; then
        export AITASKER_API_URL="$AITASKER_ACTION_API_URL"
    fi
    # Per-item results as data, so the operation ID is read from them; -o in the command wins.
    export AITASKER_OUTPUT="${AITASKER_OUTPUT:-ndjson}"
    export PATH="$install_dir/bin:$PATH"

    set +e
    aitasker "${words[@]}" | tee "$output"
    code="${PIPESTATUS[0]}"
    set -e
    operation="$(operation_of "$output" || true)"
    rm -f "$output"
    {
        echo "exit-code=$code"
        echo "operation-id=$operation"
    } >> "${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set: not on a runner?}"
    return "$code"
}

phase="${1:-}"
case "$phase" in
    install) install ;;
    run) run ;;
    *) fail "usage: run.sh install|run" ;;
esac
