"""The list and show recipe every resource's commands share.

A resource is a row (its view, its statuses, the ID cache TAB reads); its `list` and `show`
commands keep their own signatures and help and hand the rest to `list_items`, `list_items_in`
and `show_item`, so the warning, paging, caching and ID resolving are written once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

from aitasker_cli.cli.options import page_limit
from aitasker_cli.cli.session import Listing, Session, connect
from aitasker_cli.domain import views
from aitasker_cli.domain.statuses import AgentStatus, Status, TaskStatus, WorkspaceStatus
from aitasker_cli.domain.views import View

if TYPE_CHECKING:
    from aitasker_cli.api.client import ApiClient
    from aitasker_cli.cli.options import Common


class Resource(NamedTuple):
    """What the recipe needs to know of one kind of resource."""

    view: View
    """How it is shown; its `noun` names it in warnings, notices and ID look-ups."""
    statuses: type[Status]
    """The statuses known for it (a `--status` outside them is warned about, then sent)."""
    cache: str | None
    """The ID cache a listing fills for TAB ('agents'), or None if its IDs are not cached."""


AGENTS = Resource(views.AGENTS, AgentStatus, cache="agents")
WORKSPACES = Resource(views.WORKSPACES, WorkspaceStatus, cache="workspaces")
TASKS = Resource(views.TASKS, TaskStatus, cache="tasks")

Fetch = Callable[["ApiClient", "int | None"], Iterable[Any]]
"""A listing's client call: the client and how many items to fetch (None: every page)."""
FetchIn = Callable[["ApiClient", str, "int | None"], Iterable[Any]]
"""A listing inside another resource: the client, the container's full ID, how many items."""
Get = Callable[["ApiClient", str], Any]
"""A show's client call: the client and the full ID."""


def list_items(
    common: Common,
    resource: Resource,
    fetch: Fetch,
    *,
    status: str | None,
    limit: int | None,
    all_pages: bool,
) -> None:
    """`RESOURCE list`: print a page (or every page) of `fetch`, as `resource` is shown."""
    _warn_if_unknown(resource, status)
    with connect(common) as session:
        found = Listing(lambda n: fetch(session.client, n), page_limit(limit, all_pages))
        _show_many(session, resource, found)


def list_items_in(
    common: Common,
    container: str,
    typed_id: str,
    resource: Resource,
    fetch: FetchIn,
    *,
    status: str | None,
    limit: int | None,
    all_pages: bool,
) -> None:
    """`CONTAINERS ITEMS ID` (`workspaces tasks`): list what one `container` (noun) holds."""
    from aitasker_cli.ops.resolve import Resolver

    _warn_if_unknown(resource, status)
    with connect(common) as session:
        # The container is resolved before --limit is checked against --all, as it always was.
        full_id = Resolver(session.client, container).id_of(typed_id)
        found = Listing(lambda n: fetch(session.client, full_id, n), page_limit(limit, all_pages))
        _show_many(session, resource, found)


def show_item(common: Common, resource: Resource, typed_id: str, get: Get) -> None:
    """`RESOURCE show ID`: resolve a typed ID, prefix or name, then print what `get` returns."""
    from aitasker_cli.ops.resolve import Resolver
    from aitasker_cli.output import render

    with connect(common) as session:
        full_id = Resolver(session.client, resource.view.noun).id_of(typed_id)
        render.show(get(session.client, full_id), resource.view, session.output)


def _warn_if_unknown(resource: Resource, status: str | None) -> None:
    from aitasker_cli.domain import statuses
    from aitasker_cli.output import render

    if warning := statuses.unknown(status, resource.statuses, resource.view.noun):
        render.warning(warning)


def _show_many(session: Session, resource: Resource, found: Listing) -> None:
    from aitasker_cli.output import render

    items: Iterable[Any] = found
    if resource.cache is not None:
        from aitasker_cli.local import cache

        items = cache.remembering(resource.cache, found)
    render.show_many(items, resource.view, session.output)
    found.tell_if_cut(resource.view.noun)
