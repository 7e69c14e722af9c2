"""Per-request execution context shared by routes, agents and services."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace


def _new_run_id() -> str:
    return f"run-{uuid.uuid4().hex[:12]}"


@dataclass(frozen=True)
class UserExecutionContext:
    """Identifies who a unit of work runs for.

    Every WebSocket message produced on behalf of a user is routed through
    the manager that belongs to ``user_id``; the remaining fields are carried
    along so that clients can correlate events with a thread and a run.
    """

    user_id: str
    thread_id: str = "default"
    run_id: str = field(default_factory=_new_run_id)
    request_id: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.user_id, str) or not self.user_id.strip():
            raise ValueError("UserExecutionContext.user_id must be a non-empty string")

    def for_run(self, run_id: str | None = None) -> "UserExecutionContext":
        """Return a copy of this context bound to a new (or given) run id."""
        return replace(self, run_id=run_id or _new_run_id())

    def as_dict(self) -> dict[str, str | None]:
        return {
            "user_id": self.user_id,
            "thread_id": self.thread_id,
            "run_id": self.run_id,
            "request_id": self.request_id,
        }
