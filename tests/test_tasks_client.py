"""The client's task calls: get one, approve or reject (never blindly resent), list by several
statuses; and the same calls in-process against the embedded sandbox."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
import respx

from aitasker_cli.api.client import ApiClient
from aitasker_cli.cli.session import sandbox_app
from aitasker_cli.core.errors import NotFoundError, RejectedError, UnavailableError, UsageError
from aitasker_cli.domain.actions import APPROVE, CANCEL, PAUSE, REJECT, Action
from aitasker_cli.domain.fingerprint import fingerprint
from aitasker_cli.domain.statuses import AgentStatus, TaskStatus
from aitasker_cli.local.config import SANDBOX_API_URL, Settings
from tests.conftest import API, TASK_ID, TOKEN, WORKSPACE_ID, task, uuid_n

TASK_PATH = f"/api/v1/workspaces/{WORKSPACE_ID}/tasks/{TASK_ID}"
TASKS_PATH = f"/api/v1/workspaces/{WORKSPACE_ID}/tasks"


@pytest.fixture
def api_client(api: respx.MockRouter) -> Iterator[ApiClient]:
    made = ApiClient(
        Settings("default", API, None, timeout=5.0, retries=3, debug=False), lambda: TOKEN
    )
    yield made
    made.close()


def test_get_task_reads_one_task_with_the_approved_status(
    api: respx.MockRouter, api_client: ApiClient
) -> None:
    got = api.get(TASK_PATH).mock(return_value=httpx.Response(200, json=task(status="approved")))

    found = api_client.get_task(WORKSPACE_ID.upper(), TASK_ID)

    assert got.call_count == 1
    assert found.status is TaskStatus.approved
    # The object as sent, with the fingerprint computed from it beside the server's fields.
    sent = task(status="approved")
    assert str(found.id) == TASK_ID and found.raw == {**sent, "fingerprint": fingerprint(sent)}


@pytest.mark.parametrize(
    ("row", "reason", "sent_body"),
    [
        (APPROVE, None, {"reason": None}),
        (APPROVE, "Looks right", {"reason": "Looks right"}),
        (REJECT, "Tone is too formal – redo ☕", {"reason": "Tone is too formal – redo ☕"}),
    ],
)
def test_a_decision_posts_the_task_decision_body_and_returns_the_task(
    api: respx.MockRouter, api_client: ApiClient, row: Action, reason: str | None, sent_body: object
) -> None:
    decided = api.post(f"{TASK_PATH}/{row.name}").mock(
        return_value=httpx.Response(200, json=task(status=row.target))
    )

    after = api_client.decide(row, WORKSPACE_ID, TASK_ID, reason)

    request = decided.calls.last.request
    assert json.loads(request.content.decode("utf-8")) == sent_body
    assert request.headers["content-type"] == "application/json"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert str(after.status) == row.target


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadError("Connection reset by peer"),
        httpx.Response(503),
        httpx.Response(504),
    ],
    ids=["read-timeout", "dropped", "reset", "503", "504"],
)
@pytest.mark.parametrize("row", [APPROVE, REJECT], ids=["approve", "reject"])
def test_a_decision_that_may_have_arrived_is_never_resent(
    api: respx.MockRouter,
    api_client: ApiClient,
    failure: Exception | httpx.Response,
    row: Action,
) -> None:
    route = api.post(f"{TASK_PATH}/{row.name}")
    if isinstance(failure, httpx.Response):
        route.mock(return_value=failure)
    else:
        route.mock(side_effect=failure)

    with pytest.raises(UnavailableError):
        api_client.decide(row, WORKSPACE_ID, TASK_ID, None)

    assert route.call_count == 1


@pytest.mark.parametrize(
    "refusal",
    [httpx.ConnectError("connection refused"), httpx.Response(429, headers={"retry-after": "1"})],
    ids=["unsent", "429"],
)
def test_a_decision_that_cannot_have_arrived_is_sent_again(
    api: respx.MockRouter, api_client: ApiClient, refusal: Exception | httpx.Response
) -> None:
    ok = httpx.Response(200, json=task(status="approved"))
    route = api.post(f"{TASK_PATH}/approve").mock(side_effect=[refusal, ok])

    assert api_client.decide(APPROVE, WORKSPACE_ID, TASK_ID, None).status is TaskStatus.approved
    assert route.call_count == 2


def test_reading_a_task_is_retried_after_a_timeout(
    api: respx.MockRouter, api_client: ApiClient
) -> None:
    ok = httpx.Response(200, json=task())
    route = api.get(TASK_PATH).mock(side_effect=[httpx.ReadTimeout("timed out"), ok])

    assert api_client.get_task(WORKSPACE_ID, TASK_ID).status is TaskStatus.awaiting_approval
    assert route.call_count == 2


def test_cancel_is_never_resent_after_a_timeout(
    api: respx.MockRouter, api_client: ApiClient
) -> None:
    route = api.post(f"/api/v1/workspaces/agents/{uuid_n(1)}/cancel").mock(
        side_effect=httpx.ReadTimeout("timed out")
    )

    with pytest.raises(UnavailableError):
        api_client.change(CANCEL, uuid_n(1))

    assert route.call_count == 1


def test_a_decision_refuses_a_malformed_id_or_an_agents_row(
    api: respx.MockRouter, api_client: ApiClient
) -> None:
    anything = api.route().mock(return_value=httpx.Response(500))

    with pytest.raises(UsageError):
        api_client.decide(APPROVE, WORKSPACE_ID, "../../agents/x", None)
    with pytest.raises(UsageError):
        api_client.get_task("not-a-uuid", TASK_ID)
    with pytest.raises(ValueError, match="not a decision"):
        api_client.decide(PAUSE, WORKSPACE_ID, TASK_ID, None)

    assert not anything.called


def test_list_tasks_sends_one_listing_per_status_and_yields_each_task_once(
    api: respx.MockRouter, api_client: ApiClient
) -> None:
    by_status = {
        "awaiting_approval": [task(id=uuid_n(1)), task(id=uuid_n(2))],
        # uuid_n(2) moved to review between the two listings: still yielded once.
        "review": [task(id=uuid_n(2), status="review"), task(id=uuid_n(3), status="review")],
    }

    def answer(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        return httpx.Response(200, json=by_status[request.url.params["status"]][offset:])

    listing = api.get(TASKS_PATH).mock(side_effect=answer)

    found = list(
        api_client.list_tasks(
            WORKSPACE_ID, statuses=["awaiting_approval", "review", "review"], limit=None
        )
    )

    assert [str(item.id) for item in found] == [uuid_n(1), uuid_n(2), uuid_n(3)]
    first_pages = [
        call.request for call in listing.calls if call.request.url.params["offset"] == "0"
    ]
    assert [request.url.params["status"] for request in first_pages] == [
        "awaiting_approval",
        "review",
    ]


def test_list_tasks_stops_at_the_limit_and_without_statuses_filters_nothing(
    api: respx.MockRouter, api_client: ApiClient
) -> None:
    tasks = [task(id=uuid_n(1)), task(id=uuid_n(2))]
    listing = api.get(TASKS_PATH).mock(
        side_effect=lambda request: httpx.Response(
            200, json=tasks[int(request.url.params["offset"]) :]
        )
    )

    limited = list(api_client.list_tasks(WORKSPACE_ID, statuses=["queued", "running"], limit=2))
    everything = list(api_client.list_tasks(WORKSPACE_ID, limit=None))

    assert len(limited) == 2 and len(everything) == 2
    statuses = [call.request.url.params.get("status") for call in listing.calls]
    assert statuses[0] == "queued" and "running" not in statuses  # the limit was reached
    assert statuses[1:] == [None, None]  # no filter: a first page, and an empty one


# --- against the embedded sandbox, in-process ----------------------------------------------


@pytest.fixture
def sandbox_client() -> Iterator[ApiClient]:
    settings = Settings(
        "default", SANDBOX_API_URL, None, timeout=5.0, retries=0, debug=False, sandbox=True
    )
    made = ApiClient(settings, lambda: "sandbox", app=sandbox_app())
    yield made
    made.close()


def awaiting(client: ApiClient) -> list[tuple[str, str]]:
    """(workspace ID, task ID) of every task awaiting approval in the sandbox."""
    found = []
    for space in client.list_workspaces(status=None, limit=None):
        for item in client.list_tasks(str(space.id), statuses=["awaiting_approval"], limit=None):
            found.append((str(space.id), str(item.id)))
    return found


def test_the_sandbox_approves_rejects_refuses_and_cancels(sandbox_client: ApiClient) -> None:
    waiting = awaiting(sandbox_client)
    assert len(waiting) >= 2, "the demo fleet has tasks awaiting approval"
    (first_ws, first), (second_ws, second) = waiting[:2]

    approved = sandbox_client.decide(APPROVE, first_ws, first, None)
    rejected = sandbox_client.decide(REJECT, second_ws, second, "Tone is too formal")

    assert approved.status is TaskStatus.approved and approved.approved_at is not None
    assert sandbox_client.get_task(first_ws, first).status is TaskStatus.approved
    assert rejected.status is TaskStatus.rejected
    assert sandbox_client.get_task(second_ws, second).status is TaskStatus.rejected
    assert (first_ws, first) not in awaiting(sandbox_client)
    assert approved.fingerprint != sandbox_client.get_task(second_ws, second).fingerprint

    with pytest.raises(RejectedError) as refused:
        sandbox_client.decide(REJECT, first_ws, first, "too late")
    assert refused.value.exit_code == 6 and refused.value.status == 409

    active = next(sandbox_client.list_agents(status="active", limit=1))
    cancelled = sandbox_client.change(CANCEL, str(active.id))
    assert cancelled.status is AgentStatus.cancelled
    assert sandbox_client.get_agent(str(active.id)).status is AgentStatus.cancelled


def test_an_unknown_task_in_the_sandbox_is_not_found(sandbox_client: ApiClient) -> None:
    space = next(sandbox_client.list_workspaces(status=None, limit=1))

    with pytest.raises(NotFoundError, match="Task not found") as missing:
        sandbox_client.get_task(str(space.id), uuid_n(99))

    assert missing.value.exit_code == 3
