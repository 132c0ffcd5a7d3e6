"""errors.py: every code and status maps to its class; messages say status, code, job and what to do."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pulumi_drs import errors
from pulumi_drs.errors import (
    ApiError,
    AuthenticationError,
    ConfigurationError,
    ConnectError,
    ConnectionDroppedError,
    DrsError,
    JobNotFoundError,
    JobStatusError,
    PermissionDeniedError,
    ReadTimeoutError,
    RequestError,
    ServerError,
    ThrottledError,
    TransportError,
    error_from_response,
    redact,
)

JOB = "140b5236-6a4e-4a5e-9a0f-3e1b2c4d5jb101"


def body(code: str | None = None, msg: str = "Something happened.", **extra: Any) -> bytes:
    data: dict[str, Any] = {"error_msg": msg, **extra}
    if code is not None:
        data["error_code"] = code
    return json.dumps(data).encode()


def batch_body(*items: dict[str, Any]) -> bytes:
    return json.dumps({"count": len(items), "results": list(items)}).encode()


CODE_CASES = [
    (401, "APIGW.0301", AuthenticationError, "HW_ACCESS_KEY"),
    (401, "APIGW.0303", AuthenticationError, "clock"),
    (403, "DRS.M00100", AuthenticationError, "HW_SECRET_KEY"),
    (403, "DRS.M00102", PermissionDeniedError, "permissions"),
    (401, "DRS.M00103", PermissionDeniedError, "permissions"),
    (403, "DRS.M00261", PermissionDeniedError, "drs:projectId/HW_PROJECT_ID"),
    (400, "DRS.M05003", JobNotFoundError, "remove it from job_ids"),
    (400, "DRS.M05004", JobNotFoundError, "remove it from job_ids (a released job cannot be started again)"),
    (400, "DRS.M00289", JobNotFoundError, "remove it from job_ids"),
    (400, "DRS.M00304", JobStatusError, "status"),
    (400, "DRS.M01503", ThrottledError, "retry later"),
    (429, "APIG.0308", ThrottledError, "retry later"),
    (500, "DRS.M00004", ServerError, "retry later"),
    (502, None, ServerError, "retry later"),
    (503, None, ServerError, "retry later"),
    (429, None, ThrottledError, "retry later"),
    (401, None, AuthenticationError, "drs:accessKey"),
    (403, None, PermissionDeniedError, "permissions"),
    (400, "DRS.M00007", RequestError, "report it"),
    (404, "APIGW.0101", RequestError, "drs:endpoint/HW_DRS_ENDPOINT"),
    (422, "DRS.M00002", RequestError, "check"),
    (401, "IAM.0004", AuthenticationError, "drs:password/HW_PASSWORD"),
]


@pytest.mark.parametrize(("status", "code", "cls", "advice"), CODE_CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in CODE_CASES])
def test_error_from_response_maps_code_and_status(status: int, code: str | None, cls: type[ApiError],
                                                  advice: str) -> None:
    error = error_from_response(status, body(code), operation="batch-status")
    assert type(error) is cls
    assert error.status_code == status and error.error_code == code
    text = str(error)
    assert text.startswith("batch-status: ") and f"HTTP {status}" in text
    assert code is None or code in text
    assert advice.lower() in text.lower()
    assert "Something happened" in text


def test_code_wins_over_status() -> None:
    assert type(error_from_response(400, body("APIG.0308"), operation="x")) is ThrottledError
    assert type(error_from_response(400, body("APIGW.0301"), operation="x")) is AuthenticationError


def test_batch_shaped_body_names_the_job_and_how_many_more() -> None:
    raw = batch_body(
        {"id": "ok-job", "status": "success"},
        {"id": JOB, "status": "failed", "error_code": "DRS.M05004", "error_msg": "Task deleted."},
        {"id": "other", "status": "failed", "error_code": "DRS.M05004", "error_msg": "Task deleted."},
    )
    error = error_from_response(400, raw, operation="batch-detail")
    assert isinstance(error, JobNotFoundError)
    assert error.job_id == JOB and error.error_code == "DRS.M05004"
    text = str(error)
    assert f"for job {JOB} (and 1 more)" in text
    assert "HTTP 400 DRS.M05004" in text
    assert "remove it from job_ids" in text.lower()


def test_batch_status_items_use_error_message() -> None:
    raw = batch_body({"id": JOB, "error_code": "DRS.M05003", "error_message": "Task not found."})
    error = error_from_response(400, raw, operation="batch-status")
    assert isinstance(error, JobNotFoundError) and "Task not found" in str(error)


def test_keystone_body_and_request_id() -> None:
    raw = json.dumps({"error": {"code": 401, "message": "The username or password is wrong."},
                      "error_code": "IAM.0004"}).encode()
    error = error_from_response(401, raw, operation="IAM token", headers={"x-request-id": "req-1"})
    assert isinstance(error, AuthenticationError)
    assert "username or password is wrong" in str(error)
    assert error.request_id == "req-1"


def test_gateway_request_id_in_body_wins() -> None:
    error = error_from_response(401, body("APIGW.0301", request_id="gw-7"), operation="x",
                                headers={"X-Request-Id": "hdr"})
    assert error.request_id == "gw-7"


@pytest.mark.parametrize("raw", [b"", b"<html>Bad Gateway</html>", b"[1,2]", None, b"{\"count\": 0}"])
def test_unreadable_bodies_still_classify_by_status(raw: bytes | None) -> None:
    error = error_from_response(502, raw, operation="batch-status")
    assert isinstance(error, ServerError) and "HTTP 502" in str(error)


def test_retry_after_is_read() -> None:
    error = error_from_response(429, body("APIG.0308"), operation="x", headers={"Retry-After": "2.5"})
    assert error.retry_after == 2.5
    assert errors.parse_retry_after("7") == 7.0
    assert errors.parse_retry_after("nonsense") is None
    assert errors.parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


def test_retryable_flags() -> None:
    assert ThrottledError.retryable and ServerError.retryable and TransportError.retryable
    assert not (JobNotFoundError.retryable or AuthenticationError.retryable or ConfigurationError.retryable)


def test_tree_is_drawn_in_the_docstring() -> None:
    """Every exception class of the module appears in the tree at the top of it."""
    doc = errors.__doc__ or ""
    classes = [v for v in vars(errors).values() if isinstance(v, type) and issubclass(v, DrsError)]
    assert len(classes) == 14
    for cls in classes:
        assert cls.__name__ in doc, cls.__name__


def test_hierarchy() -> None:
    for transport in (ConnectError, ReadTimeoutError, ConnectionDroppedError):
        assert issubclass(transport, TransportError)
    for cls in (AuthenticationError, PermissionDeniedError, JobNotFoundError, JobStatusError, ThrottledError,
                ServerError, RequestError):
        assert issubclass(cls, ApiError)
    assert issubclass(ConfigurationError, DrsError) and not issubclass(ConfigurationError, ApiError)


def test_brief() -> None:
    error = error_from_response(503, body("DRS.M00004"), operation="x")
    assert error.brief() == "ServerError HTTP 503 DRS.M00004"
    assert ConnectError("x").brief() == "ConnectError"


# --- redaction ---------------------------------------------------------------------------------

SECRET = "sk/with+special=chars&1"
TOKEN = "MIIEXAMPLETOKEN-abc_123"


def test_redact_removes_given_secrets_and_their_url_encoded_form() -> None:
    text = f"key {SECRET} in url ?sk=sk%2Fwith%2Bspecial%3Dchars%261 token {TOKEN}"
    out = redact(text, [SECRET, TOKEN, None, ""])
    assert SECRET not in out and "sk%2Fwith" not in out and TOKEN not in out
    assert out.count("***") == 3


def test_redact_removes_signatures_and_token_headers_without_being_told() -> None:
    text = ('Authorization: SDK-HMAC-SHA256 Access=AK1, SignedHeaders=host;x-sdk-date, '
            'Signature=0123abcdef0123abcdef\nX-Auth-Token: MIIsecret\n{"password": "hunter2", "name": "bob"}\n'
            "X-Security-Token=tempToken")
    out = redact(text, [])
    for leaked in ("0123abcdef0123abcdef", "MIIsecret", "hunter2", "tempToken"):
        assert leaked not in out
    assert '"name": "bob"' in out


def test_redact_prefers_the_longest_secret() -> None:
    assert redact("abcdef", ["abc", "abcdef"]) == "***"


def test_error_messages_are_redacted() -> None:
    raw = body("DRS.M00007", msg=f"bad request with {SECRET} inside")
    error = error_from_response(400, raw, operation="x", secrets=[SECRET])
    assert SECRET not in str(error) and SECRET not in repr(error)


def test_every_known_code_carries_its_advice_from_the_semantics_table() -> None:
    from pulumi_drs.semantics import CODES

    for code, fact in CODES.items():
        text = str(error_from_response(400, body(code), operation="op"))
        assert fact.advice.lower().rstrip(".") in text.lower(), code


# --- exact messages and fields (mutation testing: docs/test-strength.md) ------------------------------------


def test_an_unreadable_body_is_quoted_and_leaves_code_job_and_request_unset() -> None:
    error = error_from_response(502, b"<html>Bad Gateway</html>", operation="batch-status")
    assert str(error) == "batch-status: DRS answered HTTP 502: <html>Bad Gateway</html>. DRS had an internal " \
                         "problem: retry later."
    assert (error.error_code, error.job_id, error.request_id) == (None, None, None)


def test_a_body_with_a_code_and_no_message_gives_the_advice_alone() -> None:
    error = error_from_response(400, json.dumps({"error_code": "DRS.M00304"}).encode(), operation="op")
    assert str(error) == "op: DRS answered HTTP 400 DRS.M00304. Check the job in the DRS console, then run " \
                         "`pulumi up` again."
    assert (error.error_code, error.job_id) == ("DRS.M00304", None)


def test_a_message_ending_in_capital_x_keeps_it() -> None:
    error = error_from_response(400, body("DRS.M00202", msg="Bad start time for region eu-X."), operation="op")
    assert str(error) == "op: DRS answered HTTP 400 DRS.M00202: Bad start time for region eu-X. Check start_time " \
                         "and the job IDs."


def test_non_string_code_and_message_are_ignored() -> None:
    error = error_from_response(400, json.dumps({"error_code": 123, "error_msg": ["x"]}).encode(), operation="op")
    assert str(error) == "op: DRS answered HTTP 400. DRS rejected the request: check the job IDs and inputs."
    assert error.error_code is None


def test_http_500_without_a_code_is_a_server_error() -> None:
    assert type(error_from_response(500, None, operation="op")) is ServerError
    assert type(error_from_response(499, None, operation="op")) is RequestError


def test_a_batch_item_error_msg_wins_over_error_message() -> None:
    raw = batch_body({"id": JOB, "error_code": "DRS.M05004", "error_msg": "Task deleted.", "error_message": "other"})
    assert str(error_from_response(400, raw, operation="batch-detail")) == (
        f"batch-detail: DRS answered HTTP 400 DRS.M05004 for job {JOB}: Task deleted. Remove it from job_ids (a "
        "released job cannot be started again).")


def test_a_body_that_is_not_utf8_is_quoted_with_replacement_characters_and_single_spaces() -> None:
    error = error_from_response(502, b"\xff\xfe  bad\n\n body", operation="op")
    assert str(error) == "op: DRS answered HTTP 502: \ufffd\ufffd bad body. DRS had an internal problem: retry later."


def test_a_long_text_body_is_cut_to_200_characters() -> None:
    error = error_from_response(502, "x" * 250, operation="op")
    assert str(error) == f"op: DRS answered HTTP 502: {'x' * 200}. DRS had an internal problem: retry later."
    short = error_from_response(502, "y" * 20, operation="op")
    assert str(short) == f"op: DRS answered HTTP 502: {'y' * 20}. DRS had an internal problem: retry later."


def test_an_error_shows_its_message_in_repr_and_args() -> None:
    """`SECRET not in repr(error)` above means something only if repr shows the message."""
    error = error_from_response(503, body("DRS.M00004", msg="busy"), operation="x")
    assert error.args == (str(error),)
    assert repr(error) == f"ServerError({str(error)!r})"


def test_a_configuration_error_keeps_the_fields_of_every_drs_error() -> None:
    error = ConfigurationError("no endpoint", setting="endpoint", error_code="X.1", status_code=400)
    assert (error.setting, error.error_code, error.status_code, str(error)) == ("endpoint", "X.1", 400, "no endpoint")


def test_redact_keeps_the_header_names_and_replaces_only_the_values() -> None:
    text = ('Authorization: SDK-HMAC-SHA256 Access=AK1, Signature=0123abcdef\nX-Auth-Token: MIIsecret\n'
            '{"password": "hunter2", "name": "bob"}')
    assert redact(text, []) == ('Authorization: *** Access=AK1, Signature=***\nX-Auth-Token: ***\n'
                                '{"password": "***", "name": "bob"}')


def test_redact_replaces_a_secret_that_contains_another_whole() -> None:
    assert redact("x a-secret-b y", ["secret", "a-secret-b"]) == "x *** y"
