"""The stack floor for one call: typer, httpx and pydantic imported, one model, one request.

    python benchmarks/floor_single.py METHOD URL

It makes the request with a default `httpx.Client()` (Bearer token from AITASKER_TOKEN),
validates the answer into the model and prints it as one JSON line; exit 1 on a non-2xx
answer. Kept exactly this plain on purpose: it is what `aitasker agents show ID -o json` and
`aitasker agents pause ID -o id` are compared with, so anyone can check it is not slowed down.
"""

import os
import sys
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
    method, url = sys.argv[1], sys.argv[2]
    headers = {"Authorization": f"Bearer {os.environ['AITASKER_TOKEN']}"}
    with httpx.Client() as client:
        response = client.request(method, url, headers=headers)
    response.raise_for_status()
    agent = HiredAgent.model_validate_json(response.content)
    sys.stdout.write(agent.model_dump_json() + "\n")


if __name__ == "__main__":
    main()
