"""Request bodies into wire models, and what a body that does not fit answers: DRS.M00007, never
FastAPI's 422 `detail` shape.

The routes read their bodies here rather than through FastAPI body parameters: the wire models defer
building their schemas (`defer_build`), and FastAPI's adapters over deferred models make pydantic warn
on every first request of a process.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from pulumi_drs.api.v3.wire import WireModel
from pulumi_drs.emulator import exceptions as exc

Model = TypeVar("Model", bound=BaseModel)


async def parse_body(request: Request, model: type[Model]) -> Model:
    """The JSON body as `model`; raises DRS.M00007 naming every problem."""
    try:
        return model.model_validate_json(await request.body())
    except ValidationError as error:
        raise invalid_body(error.errors()) from error


def invalid_body(problems: Iterable[Mapping[str, Any]]) -> exc.InvalidParameter:
    described = "; ".join(_describe(problem) for problem in problems)
    return exc.InvalidParameter(f"Invalid request parameter: {described}")


def _describe(problem: Mapping[str, Any]) -> str:
    location = problem.get("loc", ())
    parts = [str(part) for part in location if part != "body"] if isinstance(location, tuple | list) else []
    return f"{'.'.join(parts) or 'body'}: {problem.get('msg', '')}"


def json_answer(status: int, model: WireModel) -> JSONResponse:
    """A wire model as DRS sends it (`to_wire`: JSON names, no null fields)."""
    return JSONResponse(model.to_wire(), status_code=status)


def epoch_ms(epoch_seconds: float | None) -> str | None:
    """Epoch milliseconds as a string, the form DRS's time fields take (SDK: str)."""
    return None if epoch_seconds is None else str(int(epoch_seconds * 1000))
