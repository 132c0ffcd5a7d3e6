"""The emulator's configuration: fixed at start (`EmulatorConfig`) or settable at run time (`Settings`).

The defaults are the emulator's documented credentials; they are fakes, valid only against the emulator.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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


@dataclass
class Settings:
    """What `POST /_emulator/settings` may change while the emulator runs."""

    transition_seconds: float = DEFAULT_TRANSITION_SECONDS
    """Duration of each automatic status step; 0 means one step per status read."""
    latency_ms: float = 0.0
    """Added to every DRS and IAM request (benchmarks)."""
    token_ttl_seconds: float = DEFAULT_TOKEN_TTL_SECONDS
    """Lifetime of IAM tokens issued from now on."""


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
    seed_jobs: int = 0
    log_level: str = "warning"

    def initial_settings(self) -> Settings:
        return Settings(transition_seconds=self.transition_seconds)
