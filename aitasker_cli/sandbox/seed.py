"""The sandbox's demo fleet: the same agents, workspaces and tasks for the same seed, every time."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

DEFAULT_AGENTS = 24
DEFAULT_SEED = 20261128
EPOCH = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)
"""Seeded timestamps count back from here, so a seed gives the same fleet on any day."""
DEMO_USER_ID = "5f0c1e7a-3b2d-4c8e-9a61-7d2e4f8b1c03"

PERSONAS = [
    "Maya",
    "Zoë",
    "Łukasz",
    "Ōtake",
    "Renée",
    "Søren",
    "Ana Peña",
    "Björk",
    "Chloé",
    "Mateus",
    "Aylin",
    "Dvořák",
    "Inès",
    "Kenji",
    "Noémie",
    "Priyanka",
    "Jürgen",
    "Sinéad",
    "Tomás",
    "Yusuf",
]
ROLES = {
    "social_media_manager": ("Social Media", "draft-social-post", "Draft a post about {topic}"),
    "seo_specialist": ("SEO", "keyword-report", "Keyword report for {topic}"),
    "customer_support": ("Support", "answer-ticket", "Answer ticket about {topic}"),
    "content_writer": ("Content", "write-blog-post", "Blog post: {topic}"),
    "data_analyst": ("Analytics", "weekly-metrics", "Weekly metrics for {topic}"),
    "sales_development": ("Sales", "prospect-outreach", "Outreach to leads interested in {topic}"),
    "bookkeeper": ("Bookkeeping", "reconcile-invoices", "Reconcile invoices for {topic}"),
}
TOPICS = [
    "the June launch",
    "pricing page",
    "Café Lumière partnership",
    "Q3 newsletter",
    "naïve Bayes explainer",
    "Zürich meetup",
    "onboarding emails",
    "résumé parser beta",
    "holiday promotions",
    "the São Paulo office",
]
TIERS = ["starter", "pro", "pro", "business"]
AGENT_STATUSES = ["active", "active", "paused", "active", "cancelled", "active", "paused", "active"]
"""Taken in turn, so any fleet of eight or more has every status."""
TASK_STATUSES = [
    "queued",
    "running",
    "awaiting_approval",
    "completed",
    "completed",
    "failed",
    "rejected",
]
PRIORITIES = ["low", "normal", "normal", "high", "urgent"]
SCHEDULES = ["one_off", "recurring", "triggered"]
TRIGGERS = ["manual", "schedule", "webhook"]
DESCRIPTIONS = [None, "Keep it friendly and under 200 words.", "Use the brand kit; cite sources."]
TEAM_TYPES = ["marketing", "growth"]


def seed_state(agents: int = DEFAULT_AGENTS, seed: int = DEFAULT_SEED) -> dict[str, Any]:
    """A fleet of `agents` hired agents, each with its workspace and a few tasks."""
    state: dict[str, Any] = {"agents": {}, "workspaces": {}, "tasks": {}}
    for table, record in seed_records(agents, seed):
        state[table][record["id"]] = record
    return state


def seed_records(
    agents: int = DEFAULT_AGENTS, seed: int = DEFAULT_SEED
) -> Iterator[tuple[str, dict[str, Any]]]:
    """The records of seed_state, one at a time with their table: an agent, its workspace,
    its tasks, then the next agent."""
    rng = random.Random(seed)
    teams = [seeded_uuid(rng) for _ in TEAM_TYPES]
    for number in range(agents):
        agent = _agent(rng, number, teams)
        workspace = _workspace(rng, agent)
        yield "agents", agent
        yield "workspaces", workspace
        for _ in range(rng.randrange(0, 7)):
            yield "tasks", _task(rng, agent, workspace)


def _agent(rng: random.Random, number: int, teams: list[str]) -> dict[str, Any]:
    agent_type = rng.choice(list(ROLES))
    persona = PERSONAS[number % len(PERSONAS)]
    status = AGENT_STATUSES[number % len(AGENT_STATUSES)]
    hired = EPOCH - timedelta(days=rng.randrange(20, 400), minutes=rng.randrange(1440))
    updated = hired + timedelta(days=rng.randrange(0, 19), minutes=rng.randrange(1440))
    team = rng.randrange(len(teams) + 3)
    suffix = f" {number // len(PERSONAS) + 1}" if number >= len(PERSONAS) else ""
    return {
        "id": seeded_uuid(rng),
        "user_id": DEMO_USER_ID,
        "agent_type": agent_type,
        "display_name": f"{persona}{suffix} \u2013 {ROLES[agent_type][0]}",  # an en dash
        "status": status,
        "tier": rng.choice(TIERS),
        "stripe_subscription_id": f"sub_sandbox{rng.getrandbits(48):012x}",
        "config": {"language": rng.choice(["en", "de", "fr", "pt", "ja"]), "autonomy": "assisted"},
        "hired_at": iso(hired),
        "paused_at": iso(updated) if status == "paused" else None,
        "cancelled_at": iso(updated) if status == "cancelled" else None,
        "created_at": iso(hired),
        "updated_at": iso(updated),
        "persona_name": persona.split()[0],
        "team_id": teams[team] if team < len(teams) else None,
        "team_type": TEAM_TYPES[team] if team < len(teams) else None,
    }


def _workspace(rng: random.Random, agent: dict[str, Any]) -> dict[str, Any]:
    status = {"active": "active", "paused": "paused"}.get(agent["status"], "archived")
    return {
        "id": seeded_uuid(rng),
        "hired_agent_id": agent["id"],
        "user_id": agent["user_id"],
        "name": f"{agent['persona_name']}'s workspace",
        "status": status,
        "settings": {
            "timezone": rng.choice(
                ["Europe/London", "Europe/Berlin", "Asia/Tokyo", "America/Sao_Paulo", "UTC"]
            )
        },
        "metrics_cache": {"tasks_completed_30d": rng.randrange(0, 120)},
        "last_active_at": agent["updated_at"],
        "created_at": agent["created_at"],
        "updated_at": agent["updated_at"],
    }


def _task(rng: random.Random, agent: dict[str, Any], workspace: dict[str, Any]) -> dict[str, Any]:
    _label, skill, title = ROLES[agent["agent_type"]]
    status = rng.choice(TASK_STATUSES)
    created = EPOCH - timedelta(days=rng.randrange(0, 60), minutes=rng.randrange(1440))
    started = created + timedelta(seconds=rng.randrange(5, 600))
    finished = status in ("completed", "failed", "rejected", "awaiting_approval")
    approved = status == "completed" and rng.random() < 0.5
    task_id = seeded_uuid(rng)
    # Awaiting tasks need a decision at one level or another; drawn from the ID, not from
    # `rng`, so every other seeded value stays as it was.
    awaiting_level = ("required", "optional")[int(task_id[-1], 16) % 2]
    return {
        "id": task_id,
        "workspace_id": workspace["id"],
        "hired_agent_id": agent["id"],
        "skill_slug": skill,
        "title": title.format(topic=rng.choice(TOPICS)),
        "description": rng.choice(DESCRIPTIONS),
        "schedule_type": rng.choice(SCHEDULES),
        "trigger": {"type": rng.choice(TRIGGERS)},
        "status": status,
        "priority": rng.choice(PRIORITIES),
        "output_data": {"summary": "Draft ready for review."} if finished else {},
        "proposed_actions": {"publish": {"channel": "linkedin"}}
        if status == "awaiting_approval"
        else {},
        "approval_level": awaiting_level
        if status == "awaiting_approval"
        else rng.choice(["none", "optional", "required"]),
        "approved_by": agent["user_id"] if approved else None,
        "approved_at": iso(started + timedelta(minutes=30)) if approved else None,
        "cost_usd": round(rng.uniform(0.002, 0.9), 4),
        "started_at": iso(started) if status != "queued" else None,
        "completed_at": iso(started + timedelta(seconds=rng.randrange(10, 900)))
        if finished
        else None,
        "created_at": iso(created),
    }


def seeded_uuid(rng: random.Random) -> str:
    """A version-4 UUID drawn from `rng`: the same one for the same seed."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def iso(moment: datetime) -> str:
    """ISO-8601 in UTC with a Z, as the API writes it."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
