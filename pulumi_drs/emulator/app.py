"""The emulator's ASGI app: wires the API version routes, IAM, the admin API and the gateway middleware
over one `EmulatorState`, and renders every error as DRS JSON. No rules and no paths of its own.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from pulumi_drs.emulator import exceptions as exc
from pulumi_drs.emulator.admin import admin_router
from pulumi_drs.emulator.authcheck import Authenticator
from pulumi_drs.emulator.bodies import invalid_body
from pulumi_drs.emulator.config import EmulatorConfig
from pulumi_drs.emulator.gateway import Gateway
from pulumi_drs.emulator.iam import iam_router
from pulumi_drs.emulator.state import EmulatorState, build_state
from pulumi_drs.emulator.v3 import v3_router
from pulumi_drs.emulator.v5 import v5_router

__all__ = ["EmulatorState", "build_state", "create_app"]


def create_app(config: EmulatorConfig | None = None, state: EmulatorState | None = None) -> FastAPI:
    state = state or build_state(config or EmulatorConfig())
    app = FastAPI(title="pulumi-drs DRS emulator (API v3 and v5)", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.emulator = state
    app.include_router(v3_router(state.backend))
    app.include_router(v5_router(state.backend))
    app.include_router(iam_router(state.iam))
    app.include_router(admin_router(state))
    _add_error_handlers(app)
    authenticator = Authenticator(state.config.access_key, state.config.secret_key, state.iam)
    app.add_middleware(
        Gateway, authenticator=authenticator, faults=state.faults, log=state.log, settings=state.settings
    )
    return app


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(exc.EmulatorError)
    async def emulator_error(_: Request, error: exc.EmulatorError) -> JSONResponse:
        return JSONResponse(error.body(), status_code=error.status, headers=error.headers())

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        return await emulator_error(request, invalid_body(error.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, error: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(exc.ApiNotFound().body(), status_code=error.status_code)
