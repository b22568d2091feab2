"""Every scheduled job, registered in one place, scheduled per branch in its own time zone.

Job bodies are plain functions `run(ctx, branch, now) -> summary` that do their database work
and put messages in the outbox; the outbox worker delivers them. Each (job, branch, local date)
run is claimed in `job_runs` first, so a restart, a catch-up after downtime or a second bot
process never runs the same day's job twice.
"""

from bot.jobs.registry import JOBS, get_job, next_runs
from bot.jobs.runs import (
    HEARTBEAT,
    STALE_CLAIM,
    claim,
    claim_state,
    heartbeat,
    run_job,
    run_key,
)
from bot.jobs.spec import JobFn, JobSpec

__all__ = [
    "HEARTBEAT",
    "JOBS",
    "STALE_CLAIM",
    "JobFn",
    "JobSpec",
    "claim",
    "claim_state",
    "get_job",
    "heartbeat",
    "next_runs",
    "run_job",
    "run_key",
]
