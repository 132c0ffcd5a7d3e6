"""The emulator's configuration: fixed at start (`EmulatorConfig`) or changeable while it runs
(`RuntimeSettings`, through `POST /_emulator/settings`), and the clock everything reads time from.

The defaults are the emulator's documented credentials; they are fakes, valid only against the emulator.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Clock = Callable[[], float]
"""Epoch seconds now; `time.time` unless a test passes its own."""

DEFAULT_HOST = "127.0.0.1"
DEFAULT_ACCESS_KEY = "EMULATORAK"
DEFAULT_SECRET_KEY = "EMULATORSK"
DEFAULT_PROJECT_ID = "054ba152d480d55b2f5dc0069e7ddef0"
"""The project id of the OTC batch-starting example."""
DEFAULT_REGION = "cn-north-4"
"""IAM's name for the project: `GET /v3/projects?name=cn-north-4` answers DEFAULT_PROJECT_ID."""
DEFAULT_USER_NAME = "emulator-user"
DEFAULT_PASSWORD = "emulator-password"
DEFAULT_DOMAIN_NAME = "emulator-domain"
DEFAULT_TRANSITION_SECONDS = 1.0
DEFAULT_TOKEN_TTL_SECONDS = 24 * 3600.0
"""IAM tokens live 24 hours, as documented."""
DEFAULT_MAX_PER_PAGE = 100
V5_ACTION_ANSWERS = ("sync", "async")
"""The two answers the official SDK declares for v5 jobs/action: `sync`, 200 with a result per job (SDK
ActionBaseResp: `status` success|failed, `error_code`, `error_msg`); `async`, 202 with a query per job (SDK
BatchExecuteJobActionsResponse.jobs = AsyncActionResp: `query_id`, `id`, `name`), read by ShowTaskExecuteProgress."""
DEFAULT_V5_ACTION_ANSWER = "sync"


@dataclass
class RuntimeSettings:
    """What `POST /_emulator/settings` may change while the emulator runs; reset restores the start values."""

    transition_seconds: float = DEFAULT_TRANSITION_SECONDS
    """Duration of each automatic status step; 0 means steps are taken on status reads."""
    reads_per_step: int = 1
    """With transition_seconds 0: a queued step is taken at this many status reads of the job."""
    hold_statuses: list[str] = field(default_factory=list)
    """Statuses that never advance on their own (only `POST /_emulator/step` moves them)."""
    max_per_page: int = DEFAULT_MAX_PER_PAGE
    """batch-status, batch-detail and v5 ListJobs answer at most this many items per page, whatever was asked."""
    latency_ms: float = 0.0
    """Added to every DRS and IAM request (benchmarks)."""
    token_ttl_seconds: float = DEFAULT_TOKEN_TTL_SECONDS
    """Lifetime of IAM tokens issued from now on."""
    v5_action_answer: str = DEFAULT_V5_ACTION_ANSWER
    """How v5 jobs/action answers: one of V5_ACTION_ANSWERS."""

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def update(self, values: dict[str, Any]) -> None:
        for name, value in values.items():
            setattr(self, name, list(value) if isinstance(value, list | tuple) else value)

    def restore(self, initial: RuntimeSettings) -> None:
        self.update(initial.as_dict())


@dataclass(frozen=True)
class EmulatorConfig:
    host: str = DEFAULT_HOST
    port: int = 0
    access_key: str = DEFAULT_ACCESS_KEY
    secret_key: str = field(default=DEFAULT_SECRET_KEY, repr=False)
    project_id: str = DEFAULT_PROJECT_ID
    region: str = DEFAULT_REGION
    user_name: str = DEFAULT_USER_NAME
    password: str = field(default=DEFAULT_PASSWORD, repr=False)
    domain_name: str = DEFAULT_DOMAIN_NAME
    auth_token: str | None = field(default=None, repr=False)
    """A fixed token always accepted in `X-Auth-Token` (the raw-token case); None accepts only issued ones."""
    state_path: str | None = None
    """SQLite file where jobs persist across restarts; None keeps them in memory."""
    transition_seconds: float = DEFAULT_TRANSITION_SECONDS
    reads_per_step: int = 1
    hold_statuses: tuple[str, ...] = ()
    max_per_page: int = DEFAULT_MAX_PER_PAGE
    v5_action_answer: str = DEFAULT_V5_ACTION_ANSWER
    seed_jobs: int = 0
    log_level: str = "warning"

    def initial_settings(self) -> RuntimeSettings:
        return RuntimeSettings(
            transition_seconds=self.transition_seconds,
            reads_per_step=self.reads_per_step,
            hold_statuses=list(self.hold_statuses),
            max_per_page=self.max_per_page,
            v5_action_answer=self.v5_action_answer,
        )
