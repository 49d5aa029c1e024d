"""The bulk stack floor: typer, httpx and pydantic imported, one httpx.Client, 4 threads.

    python benchmarks/floor_bulk.py API_URL < ids.txt

POSTs `/api/v1/workspaces/agents/{id}/pause` for every ID on stdin (one a line) with one
default `httpx.Client` shared by a 4-thread pool, validates each answer into a model and writes
one JSON line per result; exit 1 if any answer is not 2xx. Kept exactly this plain on purpose:
it is what `aitasker agents pause --stdin` is compared with.
"""

import os
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from uuid import UUID

import httpx  # noqa: TID253  (at the top on purpose: the floor pays what a plain CLI pays)
import pydantic  # noqa: TID253
import typer  # noqa: F401  (imported, as a Typer CLI would, so its cost is in the floor)


class HiredAgent(pydantic.BaseModel):
    id: UUID
    display_name: str
    status: str
    tier: str
    updated_at: datetime


def main() -> None:
    base = sys.argv[1].rstrip("/")
    ids = [line.strip() for line in sys.stdin if line.strip()]
    headers = {"Authorization": f"Bearer {os.environ['AITASKER_TOKEN']}"}
    failed = 0
    with httpx.Client(headers=headers) as client, ThreadPoolExecutor(4) as pool:

        def pause(agent_id: str) -> httpx.Response:
            return client.post(f"{base}/api/v1/workspaces/agents/{agent_id}/pause")

        for response in pool.map(pause, ids):
            if response.is_success:
                agent = HiredAgent.model_validate_json(response.content)
                sys.stdout.write(agent.model_dump_json() + "\n")
            else:
                failed += 1
                sys.stderr.write(f"{response.status_code} {response.url}\n")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
