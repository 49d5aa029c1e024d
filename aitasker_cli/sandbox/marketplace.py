"""The rest of the documented API, beyond hired agents: marketplace tasks and bids, teams and
their LoopOps cycles, the assistant subscription, admin, A2A and developer routes.

The CLI does not call these; the sandbox serves them so that tools written against the whole
documented API can be tried and tested too. Teams are derived from the hired agents that carry
a `team_id`; everything else lives in the state's `market` table.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from aitasker_cli.sandbox.fleet import ApiProblem, Fleet, validation_problem
from aitasker_cli.sandbox.seed import DEMO_USER_ID, EPOCH, iso

CATEGORIES = [
    {
        "name": "Writing & Translation",
        "slug": "writing-translation",
        "task_types": [{"slug": "blog-post"}, {"slug": "translation"}, {"slug": "newsletter"}],
    },
    {
        "name": "Marketing",
        "slug": "marketing",
        "task_types": [{"slug": "social-campaign"}, {"slug": "seo-audit"}],
    },
    {
        "name": "Data & Research",
        "slug": "data-research",
        "task_types": [{"slug": "market-research"}, {"slug": "dashboard"}],
    },
]
SETTINGS_ENUMS = {
    "lifecycle_type": {"cyclical", "trigger_based", None},
    "requires_brand": {"yes", "no", "optional", None},
    "cycle_start_mode": {"strategy", "briefing_form", None},
}
TRIGGER_TYPES = {"task", "strategy", "briefing_form", "file_upload"}
A2A_METHODS = {"message/send", "tasks/get", "tasks/cancel", "tasks/selectBid", "tasks/provideInput"}


class Market:
    """Operations on the marketplace part of the state, beside a Fleet for the teams."""

    def __init__(self, fleet: Fleet) -> None:
        self.fleet = fleet
        market = fleet.state.setdefault("market", {})
        self.tasks: dict[str, Any] = market.setdefault("tasks", {})
        self.bids: dict[str, Any] = market.setdefault("bids", {})
        self.cycles: dict[str, Any] = market.setdefault("cycles", {})
        self.a2a: dict[str, Any] = market.setdefault("a2a", {})
        self.developer_agents: dict[str, Any] = market.setdefault("developer_agents", {})
        self.team_settings: dict[str, Any] = market.setdefault("team_settings", {})

    # --- marketplace tasks and bids -----------------------------------------------------

    def create_task(self, body: dict[str, Any]) -> dict[str, Any]:
        _check_task(body)
        now = datetime.now(timezone.utc)
        task = {
            "id": str(uuid.uuid4()),
            "user_id": DEMO_USER_ID,
            "title": body.get("title") or f"{body['task_type']} task",
            "description": body.get("description", ""),
            "category": body["category"],
            "task_type": body["task_type"],
            "requirements": body.get("requirements") or {},
            "budget_usd": body["budget_usd"],
            "compute_budget": round(body["budget_usd"] * 0.15, 2),
            "status": "matching",
            "experimentation": body.get("experimentation", 0.3),
            "created_at": iso(now),
            "expires_at": iso(now + timedelta(days=7)),
            "attachments": [],
            "brand_kit_id": body.get("brand_kit_id"),
            "prototype_tier": 1,
        }
        self.tasks[task["id"]] = task
        for round_number, agent in enumerate(list(self.fleet.agents.values())[:3]):
            bid = _bid(task, agent, round_number)
            self.bids[bid["id"]] = bid
        return task

    def get_task(self, task_id: str) -> dict[str, Any]:
        task = self.tasks.get(task_id)
        if task is None:
            raise ApiProblem(404, "Task not found")
        return dict(task)

    def bid_gallery(self, task_id: str) -> dict[str, Any]:
        task = self.get_task(task_id)
        bids = [bid for bid in self.bids.values() if bid["task_id"] == task_id]
        return {
            "task": task,
            "bids": bids,
            "total_bids_generated": len(bids),
            "remix_available": True,
            "remix_fee_usd": 1,
            "review_extensions_used": 0,
            "review_extensions_remaining": 2,
        }

    def admin_bids(self, query: dict[str, str | None], page: slice) -> dict[str, Any]:
        bids = [
            {
                "bid_id": bid["id"],
                "task_id": bid["task_id"],
                "task_title": self.tasks[bid["task_id"]]["title"],
                "agent_slug": bid["agent_slug"],
                "category": self.tasks[bid["task_id"]]["category"],
                "task_type": self.tasks[bid["task_id"]]["task_type"],
                "status": bid["status"],
                "presented": bid["presented"],
                "selected": bid["selected"],
                "eval_score": bid["eval_score"],
                "bid_v2_present": False,
                "created_at": bid["created_at"],
            }
            for bid in sorted(self.bids.values(), key=lambda b: b["created_at"], reverse=True)
            if all(query.get(k) in (None, bid[k]) for k in ("task_id", "agent_slug", "status"))
        ]
        return {
            "bids": bids[page],
            "total": len(bids),
            "limit": page.stop - page.start,
            "offset": page.start,
        }

    # --- teams and LoopOps --------------------------------------------------------------

    def team(self, team_id: str) -> dict[str, Any]:
        members = [a for a in self.fleet.agents.values() if a.get("team_id") == team_id]
        if not members:
            raise ApiProblem(404, "Team not found")
        lead = members[0]
        active = any(m["status"] == "active" for m in members)
        return {
            "id": team_id,
            "team_type": lead["team_type"],
            "display_name": f"{lead['team_type'].title()} team",
            "status": "active" if active else "paused",
            "tier": lead["tier"],
            "operation_mode": "assisted",
            "created_at": min(m["created_at"] for m in members),
            "updated_at": max(m["updated_at"] for m in members),
            "members": [_member(m) for m in members],
            "workflow_phase": "operating",
            "workflow_phase_label": "Operating",
            "default_currency": "USD",
            "auto_config": {},
            "orchestrator_cadence": {"every_n_days": 1},
            "content_strategy": {},
            "stripe_subscription_id": lead["stripe_subscription_id"],
            "config": {},
            "onboarding_step": "complete",
            "connected_accounts": [],
            "brand_kit_id": None,
            "brand_id": None,
            "brand_name": None,
            "hired_at": min(m["hired_at"] for m in members),
            "paused_at": None if active else lead["paused_at"],
            "cancelled_at": None,
            "subscription_ends_at": None,
            "recent_activity": [],
        }

    def dashboard(self, team_id: str) -> dict[str, Any]:
        team = self.team(team_id)
        member_ids = {member["hired_agent_id"] for member in team["members"]}
        tasks = [
            {
                "id": task["id"],
                "task_type": task["skill_slug"],
                "title": task["title"],
                "description": task["description"],
                "status": task["status"],
                "priority": task["priority"],
                "quality_score": None,
                "evaluation_notes": None,
                "scheduled_for": None,
            }
            for task in self.fleet.tasks.values()
            if task["hired_agent_id"] in member_ids
        ]
        return {"team": team, "tasks": {"tasks": tasks}}

    def cycle(self, team_id: str) -> dict[str, Any]:
        team = self.team(team_id)
        if team_id not in self.cycles:
            self.cycles[team_id] = _default_cycle(team)
        bundle: dict[str, Any] = self.cycles[team_id]
        return bundle

    def update_cycle(self, team_id: str, body: dict[str, Any]) -> dict[str, Any]:
        bundle = self.cycle(team_id)
        known = ("name", "duration_days", "custom_start_date", "timezone", "phases", "is_active")
        bundle["cycle"].update({k: body[k] for k in known if body.get(k) is not None})
        bundle["cycle"]["updated_at"] = iso(datetime.now(timezone.utc))
        return bundle

    def update_loop(self, team_id: str, loop_id: str, body: dict[str, Any]) -> dict[str, Any]:
        for loop in self.cycle(team_id)["loops"]:
            if loop["id"] == loop_id:
                name = body.get("name")
                if name is not None and not (isinstance(name, str) and 1 <= len(name) <= 255):
                    raise validation_problem(
                        ["body", "name"],
                        "String should have 1 to 255 characters",
                        "string_too_long",
                        name,
                    )
                loop.update({k: v for k, v in body.items() if k in loop and v is not None})
                loop["updated_at"] = iso(datetime.now(timezone.utc))
                result: dict[str, Any] = loop
                return result
        raise ApiProblem(404, "Loop not found")

    # --- account, admin, A2A, developers ------------------------------------------------

    def subscription(self) -> dict[str, Any]:
        return {
            "status": "trial",
            "price_usd": 29,
            "trial_ends_at": iso(EPOCH + timedelta(days=30)),
            "current_period_end": None,
        }

    def credit_balance(self) -> dict[str, Any]:
        spent = round(sum(task["budget_usd"] for task in self.tasks.values()), 2)
        return {
            "caller_id": DEMO_USER_ID,
            "balance_usd": round(500 - spent, 2),
            "total_deposited_usd": 500.0,
            "total_spent_usd": spent,
        }

    def categories(self) -> dict[str, Any]:
        return {"categories": CATEGORIES}

    def update_team_settings(self, slug: str, body: dict[str, Any]) -> dict[str, Any]:
        for key, allowed in SETTINGS_ENUMS.items():
            if key in body and body[key] not in allowed:
                raise validation_problem(
                    ["body", key],
                    "Input should be one of: " + ", ".join(sorted(v for v in allowed if v)),
                    "enum",
                    body[key],
                )
        triggers = body.get("trigger_types")
        if triggers is not None and not (
            isinstance(triggers, list) and all(t in TRIGGER_TYPES for t in triggers)
        ):
            raise validation_problem(
                ["body", "trigger_types"],
                "Input should be a list of trigger types",
                "list_type",
                triggers,
            )
        settings = self.team_settings.setdefault(slug, {})
        settings.update(body)
        return {"slug": slug, "settings": settings}

    def register_developer_agent(self, body: dict[str, Any]) -> dict[str, Any]:
        for name in ("name", "slug", "endpoint_url"):
            if not isinstance(body.get(name), str) or not body[name]:
                raise validation_problem(["body", name], "Field required", "missing", body)
        agent = {
            "id": str(uuid.uuid4()),
            **body,
            "status": "pending_review",
            "created_at": iso(datetime.now(timezone.utc)),
        }
        self.developer_agents[agent["id"]] = agent
        return agent

    def a2a_rpc(self, body: Any) -> dict[str, Any]:
        """JSON-RPC 2.0: errors are in the body, with HTTP 200, as the public client expects."""
        if not isinstance(body, dict) or body.get("jsonrpc") != "2.0" or "method" not in body:
            return _rpc_error(None, -32600, "Invalid Request")
        call_id, method = body.get("id"), body["method"]
        params = body.get("params") or {}
        if method not in A2A_METHODS:
            return _rpc_error(call_id, -32601, "Method not found")
        if method == "message/send":
            created: dict[str, Any] = {
                "id": f"a2a-{uuid.uuid4().hex[:12]}",
                "status": {"state": "submitted"},
                "artifacts": [],
            }
            self.a2a[created["id"]] = created
            return {"jsonrpc": "2.0", "id": call_id, "result": created}
        task = self.a2a.get(str(params.get("id", ""))) if isinstance(params, dict) else None
        if task is None:
            return _rpc_error(call_id, -32001, "Task not found")
        task["status"]["state"] = {
            "tasks/cancel": "canceled",
            "tasks/selectBid": "working",
            "tasks/provideInput": "working",
        }.get(method, task["status"]["state"])
        return {"jsonrpc": "2.0", "id": call_id, "result": task}


def _check_task(body: dict[str, Any]) -> None:
    for name in ("category", "task_type"):
        if not isinstance(body.get(name), str):
            raise validation_problem(["body", name], "Field required", "missing", body)
    budget = body.get("budget_usd")
    if isinstance(budget, bool) or not isinstance(budget, (int, float)):
        raise validation_problem(
            ["body", "budget_usd"], "Input should be a valid number", "float_type", budget
        )
    if not 3 <= budget <= 300:
        raise validation_problem(
            ["body", "budget_usd"],
            "Input should be between 3 and 300",
            "less_than_equal" if budget > 300 else "greater_than_equal",
            budget,
        )
    if len(str(body.get("title") or "")) > 200 or len(str(body.get("description", ""))) > 5000:
        raise validation_problem(
            ["body"],
            "String should have at most 200 (title) or 5000 (description) characters",
            "string_too_long",
            None,
        )


def _bid(task: dict[str, Any], agent: dict[str, Any], round_number: int) -> dict[str, Any]:
    digest = int(hashlib.sha256(f"{task['id']}{agent['id']}".encode()).hexdigest()[:8], 16)
    return {
        "id": str(uuid.UUID(int=digest << 96 | round_number, version=4)),
        "task_id": task["id"],
        "agent_id": agent["id"],
        "agent_slug": agent["agent_type"].replace("_", "-"),
        "round": "prototype",
        "bid_price_usd": round(task["budget_usd"] * (0.6 + (digest % 40) / 100), 2),
        "prototype_summary": f"{agent['display_name']} would start with an outline.",
        "artifacts": [],
        "eval_score": round(0.5 + (digest % 50) / 100, 2),
        "eval_breakdown": {"relevance": 0.8, "quality": 0.7},
        "presented": True,
        "selected": False,
        "status": "presented",
        "created_at": task["created_at"],
        "agent_name": agent["display_name"],
        "agent_tier": agent["tier"],
        "agent_message": "Happy to take this on.",
    }


def _member(agent: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": agent["id"],
        "role": "lead" if agent["agent_type"] == "social_media_manager" else "specialist",
        "agent_slug": agent["agent_type"].replace("_", "-"),
        "display_name": agent["display_name"],
        "capabilities": [agent["agent_type"]],
        "hired_agent_id": agent["id"],
        "persona_name": agent["persona_name"],
        "agent_classes": [agent["agent_type"]],
        "current_activity": None,
    }


def _default_cycle(team: dict[str, Any]) -> dict[str, Any]:
    cycle_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"cycle:{team['id']}"))
    created = team["created_at"]
    loops = [
        {
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"loop:{team['id']}:{n}")),
            "cycle_id": cycle_id,
            "parent_loop_id": None,
            "name": name,
            "agent_member_id": team["members"][0]["id"],
            "phase": phase,
            "schedule_type": "recurring",
            "cadence": {"every_n_days": 7, "days": [1], "time": "09:00"},
            "task_type": task_type,
            "task_template": {},
            "priority": "normal",
            "sort_order": n,
            "is_active": True,
            "created_at": created,
            "updated_at": created,
            "content_source": None,
        }
        for n, (name, phase, task_type) in enumerate(
            [("Weekly plan", "plan", "planning"), ("Publish", "execute", "publishing")]
        )
    ]
    return {
        "cycle": {
            "id": cycle_id,
            "team_id": team["id"],
            "name": "Monthly cycle",
            "duration_type": "monthly",
            "duration_days": 30,
            "start_anchor": "calendar",
            "custom_start_date": None,
            "timezone": "UTC",
            "phases": [
                {"name": "plan", "start_pct": 0, "end_pct": 30, "color": "#4f46e5"},
                {"name": "execute", "start_pct": 30, "end_pct": 100, "color": "#16a34a"},
            ],
            "is_active": True,
            "created_at": created,
            "updated_at": created,
        },
        "loops": loops,
        "signals": [],
        "active_instance": None,
    }


def _rpc_error(call_id: Any, code: int, message: str) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": call_id,
        "error": {"code": code, "message": message, "data": None},
    }
