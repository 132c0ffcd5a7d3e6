"""The emulator's errors: one class per DRS, API-gateway or IAM error code, rendered as the wire's JSON.

    EmulatorError                    http_status + error_code + error_msg -> {"error_code","error_msg"}
    ├── InvalidParameter             400 DRS.M00007  body is not the documented shape
    ├── ParameterEmpty               400 DRS.M00201  a mandatory value is empty
    ├── ParameterInvalid             400 DRS.M00202  a value has the wrong form (start_time in seconds)
    ├── PageInvalid                  400 DRS.M00210  cur_page < 0 or per_page < 0
    ├── PageOverLimit                400 DRS.M00211  per_page > 100 or cur_page past the last page
    ├── InvalidProjectId             403 DRS.M00261  path or X-Project-Id is not this project
    ├── DuplicateParameter           400 DRS.M00301  the same job twice in one request (the whole request)
    ├── InvalidJobStatus             400 DRS.M00304  the job's status does not allow the call
    ├── SubtaskOnly                  400 DRS.M00307  a parent task (one with children) was named
    ├── OperationInProgress          202 DRS.M01504  plain terminate of a job that is busy
    ├── JobNotFound                  400 DRS.M05003  no such job
    ├── JobDeleted                   400 DRS.M05004  the job was deleted or its resources released
    ├── StartJobFailed               (DRS.M05066, never raised: the error a `fail_start` job carries)
    ├── ActionFailed                 400 DRS.10000001 v5: an action the emulator does not serve (per item)
    │   └── JobFailed                (never raised: an asynchronous action whose job failed; the job's code)
    ├── JobNotExist                  400 DRS.10000010 v5: no such job (v5 answers it where v3 has DRS.M05003)
    ├── BatchRejected                400 (batch-shaped body: batch-detail knew none of the jobs)
    ├── GatewayAuthFailed            401 APIGW.0301  AK/SK or token rejected
    ├── GatewayDateExpired           401 APIGW.0303  X-Sdk-Date more than 15 minutes off
    ├── ApiNotFound                  404 APIGW.0101  no such route
    ├── IamUnauthorized              401 (IAM token API: wrong user, password or domain)
    └── InjectedFault                any              answered by a fault rule (faults.py)

Per-item errors inside a 200/202 batch body are the same classes, caught per item by the backend.
Codes come from ../shared/reference/drs-api.md section 5; where the docs are silent the choice is noted.
The two v5 codes are HWC drs_03_0179's examples (v5 codes are 12 characters, `DRS.` and 8 digits: SDK v5
ActionBaseResp.error_code). GUESS: v5 shares every other code with v3, as no v5 page lists them.
"""

from __future__ import annotations

import json
from typing import ClassVar


class EmulatorError(Exception):
    http_status: ClassVar[int] = 400
    error_code: ClassVar[str] = "DRS.M00007"
    default_msg: ClassVar[str] = "Invalid request parameter."

    def __init__(self, error_msg: str | None = None) -> None:
        self.error_msg = error_msg or self.default_msg
        super().__init__(f"{self.code}: {self.error_msg}")

    @property
    def code(self) -> str:
        return self.error_code

    @property
    def status(self) -> int:
        return self.http_status

    def body(self) -> dict[str, object]:
        return {"error_code": self.code, "error_msg": self.error_msg}

    def headers(self) -> dict[str, str]:
        return {}

    def encode(self) -> bytes:
        return json.dumps(self.body()).encode("utf-8")


class InvalidParameter(EmulatorError):
    error_code = "DRS.M00007"
    default_msg = "Invalid request parameter."


class ParameterEmpty(EmulatorError):
    error_code = "DRS.M00201"
    default_msg = "Parameter cannot be empty."


class ParameterInvalid(EmulatorError):
    error_code = "DRS.M00202"
    default_msg = "Parameter is invalid."


class PageInvalid(EmulatorError):
    error_code = "DRS.M00210"
    default_msg = "Page invalid."


class PageOverLimit(EmulatorError):
    error_code = "DRS.M00211"
    default_msg = "Page over limit."


class InvalidProjectId(EmulatorError):
    http_status = 403
    error_code = "DRS.M00261"
    default_msg = "Invalid project ID."


class DuplicateParameter(EmulatorError):
    error_code = "DRS.M00301"
    default_msg = "Duplicate job_id in request."


class InvalidJobStatus(EmulatorError):
    error_code = "DRS.M00304"
    default_msg = "This API cannot be called in the current task status."


class SubtaskOnly(EmulatorError):
    # The docs say "the parent task does not support this operation" without a code; DRS.M00307
    # ("only subtasks can call this API") is the documented code that says exactly that.
    error_code = "DRS.M00307"
    default_msg = "Only subtasks can call this API; a parent task cannot."


class OperationInProgress(EmulatorError):
    http_status = 202
    error_code = "DRS.M01504"
    default_msg = (
        "Another operation is being performed on the task, or the task is abnormal. Try again later."
    )


class JobNotFound(EmulatorError):
    error_code = "DRS.M05003"
    default_msg = "Task information not found."


class JobDeleted(EmulatorError):
    error_code = "DRS.M05004"
    default_msg = "The task has been deleted or its resources have been released."


class StartJobFailed(EmulatorError):
    """Not raised: the error a job carries after a `fail_start` start (DRS.M05066, documented as 200)."""

    http_status = 200
    error_code = "DRS.M05066"
    default_msg = "Failed to create the replication instance."


class ActionFailed(EmulatorError):
    error_code = "DRS.10000001"
    default_msg = "Failed."


class JobFailed(ActionFailed):
    """Not raised: what the progress of an asynchronous action says when its job ended in a failure status:
    the job's own error (DRS.M05066 after a failed start), else DRS.10000001 "Failed." with the status."""

    def __init__(self, error_msg: str | None = None, code: str | None = None) -> None:
        self._code = code
        super().__init__(error_msg)

    @property
    def code(self) -> str:
        return self._code or self.error_code


class JobNotExist(EmulatorError):
    error_code = "DRS.10000010"
    default_msg = "Job does not exist, please check job ID"


class BatchRejected(EmulatorError):
    """A 400 whose body is the batch itself (TF resourceJobRead reads `results[0].error_code` from one)."""

    def __init__(self, batch: dict[str, object]) -> None:
        self.batch = batch
        super().__init__("no job of the batch is known")

    def body(self) -> dict[str, object]:
        return self.batch


class GatewayAuthFailed(EmulatorError):
    http_status = 401
    error_code = "APIGW.0301"
    default_msg = "Incorrect IAM authentication information: verify aksk signature fail"

    def __init__(self, error_msg: str | None = None, request_id: str = "") -> None:
        self.request_id = request_id
        super().__init__(error_msg)

    def body(self) -> dict[str, object]:
        return {"error_code": self.code, "error_msg": self.error_msg, "request_id": self.request_id}


class GatewayDateExpired(GatewayAuthFailed):
    error_code = "APIGW.0303"
    default_msg = "Incorrect app authentication information: the X-Sdk-Date is expired or not yet valid"


class ApiNotFound(EmulatorError):
    http_status = 404
    error_code = "APIGW.0101"
    default_msg = "The API does not exist or has not been published in the environment"


class IamUnauthorized(EmulatorError):
    """IAM's Keystone-style body, with the Huawei `error_code`/`error_msg` pair beside it."""

    http_status = 401
    error_code = "IAM.0004"
    default_msg = "The username or password is wrong."

    def body(self) -> dict[str, object]:
        keystone = {"code": 401, "title": "Unauthorized", "message": self.error_msg}
        return {"error": keystone, "error_code": self.code, "error_msg": self.error_msg}


class InjectedFault(EmulatorError):
    """An answer chosen by a fault rule: any HTTP status and code, optionally with Retry-After."""

    def __init__(self, status: int, code: str, msg: str, retry_after: float | None = None) -> None:
        self._status, self._code, self.retry_after = status, code, retry_after
        super().__init__(msg)

    @property
    def code(self) -> str:
        return self._code

    @property
    def status(self) -> int:
        return self._status

    def headers(self) -> dict[str, str]:
        if self.retry_after is None:
            return {}
        value = self.retry_after
        return {"Retry-After": str(int(value)) if float(value).is_integer() else str(value)}
