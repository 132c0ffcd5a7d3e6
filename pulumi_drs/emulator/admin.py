"""The admin API under `/_emulator`: set up jobs, simulate drift, take status steps, read the request log,
inject faults, change run-time settings.

Never part of DRS and never authenticated. Tests and demos drive the emulator through it.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from pulumi_drs.emulator import exceptions as exc
from pulumi_drs.emulator.faults import FaultSpec
from pulumi_drs.emulator.jobs import JobPatch, JobSpec
from pulumi_drs.emulator.state import EmulatorState


class JobsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    jobs: list[JobSpec] = Field(min_length=1)


class SettingsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    transition_seconds: float | None = Field(default=None, ge=0)
    reads_per_step: int | None = Field(default=None, ge=1)
    hold_statuses: list[str] | None = None
    max_per_page: int | None = Field(default=None, ge=1)
    latency_ms: float | None = Field(default=None, ge=0)
    token_ttl_seconds: float | None = Field(default=None, ge=0)
    v5_action_answer: Literal["sync", "async"] | None = None
    """config.V5_ACTION_ANSWERS."""


class StepRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    job_ids: list[str] | None = None
    """None: every job."""
    steps: int = Field(default=1, ge=1)


def _not_found(error: exc.JobNotFound) -> JSONResponse:
    return JSONResponse(error.body(), status_code=404)


def admin_router(state: EmulatorState) -> APIRouter:
    router = APIRouter(prefix="/_emulator")
    backend = state.backend

    @router.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "project_id": state.config.project_id, "region": state.config.region}

    @router.post("/jobs", status_code=201)
    async def create_jobs(body: JobsRequest) -> dict[str, Any]:
        return {"jobs": backend.create_jobs(body.jobs)}

    @router.get("/jobs")
    async def list_jobs() -> dict[str, Any]:
        return {"jobs": backend.describe_jobs()}

    @router.get("/jobs/{job_id}", response_model=None)
    async def get_job(job_id: str) -> dict[str, Any] | JSONResponse:
        try:
            return backend.describe_job(job_id)
        except exc.JobNotFound as error:
            return _not_found(error)

    @router.put("/jobs/{job_id}", response_model=None)
    async def update_job(job_id: str, body: JobPatch) -> dict[str, Any] | JSONResponse:
        try:
            return backend.update_job(job_id, body)
        except exc.JobNotFound as error:
            return _not_found(error)

    @router.post("/step", response_model=None)
    async def step(body: StepRequest) -> dict[str, Any] | JSONResponse:
        try:
            return {"jobs": backend.step(body.job_ids, body.steps)}
        except exc.JobNotFound as error:
            return _not_found(error)

    @router.get("/requests")
    async def requests_log() -> dict[str, Any]:
        return {"requests": state.log.entries()}

    @router.delete("/requests")
    async def clear_requests() -> dict[str, Any]:
        state.log.clear()
        return {}

    @router.post("/faults", status_code=201)
    async def add_fault(body: FaultSpec) -> dict[str, Any]:
        return state.faults.add(body)

    @router.get("/faults")
    async def list_faults() -> dict[str, Any]:
        return {"faults": state.faults.active()}

    @router.delete("/faults")
    async def clear_faults() -> dict[str, Any]:
        state.faults.clear()
        return {}

    @router.post("/reset")
    async def reset() -> dict[str, Any]:
        state.reset()
        return {}

    @router.post("/settings")
    async def settings(body: SettingsRequest) -> dict[str, Any]:
        state.settings.update(body.model_dump(exclude_none=True))
        return state.settings.as_dict()

    @router.get("/settings")
    async def get_settings() -> dict[str, Any]:
        return state.settings.as_dict()

    return router
