"""The emulator's HTTP layer: DRS v3 and IAM routes onto the backends, errors onto DRS JSON. No rules.

`create_app` wires the parts: the backend (jobs), IAM (tokens), the gateway middleware (latency,
faults, authentication, request log) and the admin API under `/_emulator`.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from pulumi_drs import wire
from pulumi_drs.emulator import exceptions as exc
from pulumi_drs.emulator.admin import admin_router
from pulumi_drs.emulator.authcheck import Authenticator
from pulumi_drs.emulator.backend import DrsBackend
from pulumi_drs.emulator.config import EmulatorConfig, Settings
from pulumi_drs.emulator.faults import FaultRegistry
from pulumi_drs.emulator.gateway import Gateway, RequestLog
from pulumi_drs.emulator.iam import Iam
from pulumi_drs.emulator.store import open_store

JOBS = "/v3/{project_id}/jobs"


@dataclass
class EmulatorState:
    config: EmulatorConfig
    settings: Settings
    backend: DrsBackend
    iam: Iam
    faults: FaultRegistry
    log: RequestLog

    def reset(self) -> None:
        """Jobs, faults, the request log and run-time settings; issued IAM tokens stay valid."""
        self.backend.reset()
        self.faults.clear()
        self.log.clear()
        initial = self.config.initial_settings()
        for name in ("transition_seconds", "latency_ms", "token_ttl_seconds"):
            setattr(self.settings, name, getattr(initial, name))


def build_state(config: EmulatorConfig) -> EmulatorState:
    settings = config.initial_settings()
    backend = DrsBackend(config.project_id, settings, open_store(config.state_path))
    return EmulatorState(config, settings, backend, Iam(config, settings), FaultRegistry(), RequestLog())


def create_app(config: EmulatorConfig | None = None, state: EmulatorState | None = None) -> FastAPI:
    state = state or build_state(config or EmulatorConfig())
    app = FastAPI(title="pulumi-drs DRS v3 emulator", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.emulator = state
    _add_drs_routes(app, state.backend)
    _add_iam_routes(app, state.iam)
    app.include_router(admin_router(state))
    _add_error_handlers(app)
    authenticator = Authenticator(state.config.access_key, state.config.secret_key, state.iam)
    app.add_middleware(
        Gateway, authenticator=authenticator, faults=state.faults, log=state.log, settings=state.settings
    )
    return app


def _json(status: int, model: wire.WireModel) -> JSONResponse:
    return JSONResponse(model.to_wire(), status_code=status)


def _add_drs_routes(app: FastAPI, backend: DrsBackend) -> None:
    @app.post(f"{JOBS}/batch-starting")
    async def batch_starting(project_id: str, body: wire.BatchStartJobsRequest) -> JSONResponse:
        return _json(202, backend.batch_start_jobs(project_id, body))

    @app.post(f"{JOBS}/batch-status")
    async def batch_status(project_id: str, body: wire.BatchJobsQuery) -> JSONResponse:
        return _json(200, backend.batch_list_job_status(project_id, body))

    @app.post(f"{JOBS}/batch-detail")
    async def batch_detail(project_id: str, body: wire.BatchJobsQuery) -> JSONResponse:
        return _json(200, backend.batch_list_job_details(project_id, body))

    @app.post(f"{JOBS}/batch-progress")
    async def batch_progress(project_id: str, body: wire.BatchProgressRequest) -> JSONResponse:
        return _json(202, backend.batch_list_progresses(project_id, body))

    @app.post(f"{JOBS}/batch-retry-task")
    async def batch_retry_task(project_id: str, body: wire.BatchRetryTaskRequest) -> JSONResponse:
        return _json(200, backend.batch_restore_task(project_id, body))

    @app.delete(f"{JOBS}/batch-jobs")
    async def batch_jobs(project_id: str, body: wire.BatchDeleteJobsRequest) -> JSONResponse:
        return _json(202, backend.batch_delete_jobs(project_id, body))


def _add_iam_routes(app: FastAPI, iam: Iam) -> None:
    @app.post("/v3/auth/tokens")
    async def create_token(body: wire.IamTokenRequest) -> JSONResponse:
        token, payload = iam.create_token(body)
        return JSONResponse(payload, status_code=201, headers={"X-Subject-Token": token})

    @app.get("/v3/projects")
    async def list_projects(name: str | None = None) -> JSONResponse:
        return _json(200, iam.list_projects(name))


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(exc.EmulatorError)
    async def emulator_error(_: Request, error: exc.EmulatorError) -> JSONResponse:
        return JSONResponse(error.body(), status_code=error.status, headers=error.headers())

    @app.exception_handler(RequestValidationError)
    async def invalid_body(request: Request, error: RequestValidationError) -> JSONResponse:
        problems = "; ".join(_describe_problem(problem) for problem in error.errors())
        return await emulator_error(request, exc.InvalidParameter(f"Invalid request parameter: {problems}"))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, error: StarletteHTTPException) -> JSONResponse:
        not_found = exc.ApiNotFound()
        return JSONResponse(not_found.body(), status_code=error.status_code)


def _describe_problem(problem: dict[str, object]) -> str:
    location = problem.get("loc", ())
    parts = [str(part) for part in location if part != "body"] if isinstance(location, tuple | list) else []
    return f"{'.'.join(parts) or 'body'}: {problem.get('msg', '')}"
