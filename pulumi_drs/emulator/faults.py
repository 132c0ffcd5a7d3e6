"""Fault injection: rules that make matching DRS or IAM requests fail, and the connection drop.

A rule matches a request whose path contains `path` (and whose method is `method`, if given), lets the
first `skip` matching requests through untouched (a crash-point sweep holds the k-th request of an
operation), and is used `times` times (0: until cleared). Modes: `status` answers that HTTP status with a DRS error body
without doing the work; `status_after` does the work, then answers that status and error body instead
(a gateway timeout after the backend acted); `drop_before` closes the connection without doing the
work; `drop_after` does the work, then closes the connection without answering; `delay` waits, then
answers normally.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pulumi_drs.emulator import exceptions as exc

FaultMode = Literal["status", "status_after", "drop_before", "drop_after", "delay"]
_DEFAULT_CODES: dict[int, tuple[str, str]] = {
    400: ("DRS.M01503", "Operation too frequent. Try again later."),
    429: (
        "APIG.0308",
        "The throttling threshold has been reached: policy user over ratelimit, limit:10, time:1 second",
    ),
}
_SERVER_ERROR = ("DRS.M00004", "Service abnormal.")


class FaultSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str
    mode: FaultMode
    method: str | None = None
    status: int = Field(default=500, ge=100, le=599)
    error_code: str | None = None
    error_msg: str | None = None
    retry_after: float | None = Field(default=None, ge=0)
    delay_seconds: float = Field(default=0.0, ge=0)
    times: int = Field(default=1, ge=0)
    """How many matching requests the rule affects; 0 means every one until cleared."""
    skip: int = Field(default=0, ge=0)
    """Matching requests let through untouched before the rule starts to act."""

    def matches(self, method: str, path: str) -> bool:
        return self.path in path and (self.method is None or self.method.upper() == method.upper())

    def error(self) -> exc.InjectedFault:
        code, msg = _DEFAULT_CODES.get(self.status, _SERVER_ERROR)
        return exc.InjectedFault(
            self.status, self.error_code or code, self.error_msg or msg, self.retry_after
        )


class FaultRegistry:
    def __init__(self) -> None:
        self._rules: list[tuple[FaultSpec, int]] = []
        self._skipped: dict[int, int] = {}
        """Per rule (by id of its spec), the matching requests let through so far."""
        self._lock = threading.Lock()

    def add(self, spec: FaultSpec) -> dict[str, Any]:
        with self._lock:
            self._rules.append((spec, spec.times))
        return spec.model_dump()

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self._skipped.clear()

    def active(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{**spec.model_dump(), "remaining": left, "skipped": self._skipped.get(id(spec), 0)}
                    for spec, left in self._rules]

    def take(self, method: str, path: str) -> FaultSpec | None:
        """The first rule matching the request, used up by one."""
        with self._lock:
            for index, (spec, left) in enumerate(self._rules):
                if spec.matches(method, path):
                    if self._skipped.get(id(spec), 0) < spec.skip:
                        self._skipped[id(spec)] = self._skipped.get(id(spec), 0) + 1
                        return None
                    if left == 1:
                        del self._rules[index]
                        self._skipped.pop(id(spec), None)
                    elif left > 1:
                        self._rules[index] = (spec, left - 1)
                    return spec
        return None


def abort_connection(receive: Callable[..., Any]) -> None:
    """Close the client's TCP connection at once, without any HTTP answer.

    ASGI offers no way to do this and uvicorn answers 500 when an app raises before responding, so we
    reach the transport: uvicorn's `receive` is a bound method of its RequestResponseCycle, which holds it.
    """
    cycle = getattr(receive, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise RuntimeError("cannot reach the connection to drop it: not served by uvicorn's h11 protocol")
    transport.abort()
