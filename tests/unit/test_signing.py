"""signing.py and AkSkAuth sign exactly as huaweicloudsdkcore's Signer does, over what is really sent."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer

from pulumi_drs import signing
from pulumi_drs.auth import AkSkAuth, host_header

AK, SK = "HPUAEXAMPLEAK0000001", "ExampleSecretKey/With+Odd=Chars0000000001"
PROJECT = "0123456789abcdef0123456789abcdef"
SECURITY_TOKEN = "gQpjbi1ub3J0aC00temporarySecurityToken=="
MOMENT = datetime(2026, 3, 1, 12, 34, 56, tzinfo=timezone.utc)

REQUESTS = [
    ("POST", "https://drs.cn-north-4.myhuaweicloud.com/v3/p1/jobs/batch-starting", None,
     b'{"jobs":[{"job_id":"140b5236-6a4e-4a5e-9a0f-3e1b2c4d5jb101"}]}'),
    ("POST", "https://drs.cn-north-4.myhuaweicloud.com/v3/p1/jobs/batch-status", None,
     json.dumps({"jobs": ["a", "b"], "page_req": {"cur_page": 1, "per_page": 100}}).encode()),
    ("DELETE", "https://drs.eu-west-101.myhuaweicloud.eu/v3/p1/jobs/batch-jobs", None,
     b'{"jobs":[{"delete_type":"terminate","job_id":"x"}]}'),
    ("GET", "https://iam.cn-north-4.myhuaweicloud.com/v3/projects", {"name": "cn-north-4"}, None),
    ("GET", "http://127.0.0.1:8080/v3/projects", {"b": "2 3", "a": "x~y/z", "empty": ""}, None),
    ("GET", "https://drs.example.com/v3/p1/jobs/with%20space/%E4%B8%AD", {"q": "中文", "z": "a+b"}, None),
    ("POST", "https://drs.example.com:8443/v3/p1/jobs/batch-detail/", None, "unicode ü body".encode()),
    ("GET", "https://drs.example.com/v5/p1/jobs", {"a/b": "c/d", "X~": "~X"}, None),  # a slash in a key too
]


def sdk_authorization(prepared: requests.PreparedRequest, headers: dict[str, str]) -> str:
    """What the official SDK's Signer puts in Authorization for the same request, headers and date."""
    parts = urlsplit(prepared.url or "")
    request = SdkRequest(
        method=prepared.method or "GET", schema=parts.scheme, host=parts.netloc, resource_path=parts.path,
        query_params=parse_qsl(parts.query, keep_blank_values=True), header_params=dict(headers),
        body=prepared.body if prepared.body is not None else "",
    )
    signed = Signer(BasicCredentials(AK, SK)).sign(request)
    return str(signed.header_params["Authorization"])


def prepare(method: str, url: str, params: dict[str, str] | None, body: bytes | None,
            auth: requests.auth.AuthBase) -> requests.PreparedRequest:
    """Prepared as `Session.request` prepares: the session's default headers merged, auth applied last."""
    session = requests.Session()
    headers = {"Content-Type": "application/json", "X-Language": "en-us"}
    request = requests.Request(method, url, params=params, data=body, headers=headers, auth=auth)
    return session.prepare_request(request)


@pytest.mark.parametrize(("method", "url", "params", "body"), REQUESTS, ids=[r[1][-30:] for r in REQUESTS])
def test_signing_sign_matches_sdk_signer(method: str, url: str, params: dict[str, str] | None,
                                         body: bytes | None) -> None:
    prepared = prepare(method, url, params, body, AkSkAuth(AK, SK, clock=lambda: MOMENT))
    headers = {k: v for k, v in prepared.headers.items() if k != "Authorization"}
    assert prepared.headers["Authorization"] == sdk_authorization(prepared, headers)
    assert prepared.headers["X-Sdk-Date"] == "20260301T123456Z"
    parts = urlsplit(prepared.url or "")
    ours = signing.sign(method, parts.path, parse_qsl(parts.query, keep_blank_values=True), headers,
                        prepared.body if isinstance(prepared.body, bytes) else b"", AK, SK)
    assert ours == prepared.headers["Authorization"]


@pytest.mark.parametrize(("method", "url", "params", "body"), REQUESTS[:4], ids=[r[1][-30:] for r in REQUESTS[:4]])
@pytest.mark.parametrize("temporary", [False, True], ids=["permanent", "temporary"])
def test_aksk_auth_matches_sdk_credentials(method: str, url: str, params: dict[str, str] | None,
                                           body: bytes | None, temporary: bool) -> None:
    """The SDK's own credential flow (X-Project-Id, X-Security-Token, then Signer) gives the same headers."""
    token = SECURITY_TOKEN if temporary else None
    prepared = prepare(method, url, params, body,
                       AkSkAuth(AK, SK, project_id=PROJECT, security_token=token, clock=lambda: MOMENT))
    added = {"Authorization", "X-Project-Id", "X-Security-Token"}
    parts = urlsplit(prepared.url or "")
    request = SdkRequest(
        method=method, schema=parts.scheme, host=parts.netloc, resource_path=parts.path,
        query_params=parse_qsl(parts.query, keep_blank_values=True),
        header_params={k: v for k, v in prepared.headers.items() if k not in added},
        body=prepared.body if prepared.body is not None else "",
    )
    credentials = BasicCredentials(AK, SK, PROJECT)
    if temporary:
        credentials = credentials.with_security_token(SECURITY_TOKEN)
    signed = credentials.sign_request(request)
    assert signed.header_params["Authorization"] == prepared.headers["Authorization"]
    assert prepared.headers["X-Project-Id"] == PROJECT
    assert prepared.headers.get("X-Security-Token") == token


@pytest.mark.parametrize("extra", [
    {"X_Custom_Header": "skipped"},  # the SDK signs no header whose name has `_`
    {"X-Sdk-Content-Sha256": "UNSIGNED-PAYLOAD"},  # the SDK signs the declared payload hash, not the body's
], ids=["underscore", "declared-payload-hash"])
def test_signing_headers_the_sdk_treats_apart_matches_sdk_signer(extra: dict[str, str]) -> None:
    method, url, params, body = REQUESTS[0]
    prepared = prepare(method, url, params, body, AkSkAuth(AK, SK, clock=lambda: MOMENT))
    headers = {**{k: v for k, v in prepared.headers.items() if k != "Authorization"}, **extra}
    parts = urlsplit(prepared.url or "")
    ours = signing.sign(method, parts.path, parse_qsl(parts.query, keep_blank_values=True), headers,
                        body or b"", AK, SK)
    assert ours == sdk_authorization(prepared, headers)
    skipped = "X_Custom_Header" in extra
    assert (ours == prepared.headers["Authorization"]) is skipped  # else the extra header counted


def test_signing_needs_the_sdk_date_first_and_formats_it_in_utc(far_from_utc: None) -> None:
    with pytest.raises(ValueError, match=r"^X-Sdk-Date must be set before signing$"):
        signing.sign("GET", "/v3/projects", [], {"Host": "iam.example"}, b"", AK, SK)
    local = MOMENT.astimezone()  # the same moment in this (far from UTC) zone
    assert local.utcoffset() and signing.format_sdk_date(local) == "20260301T123456Z"


def test_every_header_present_is_signed() -> None:
    prepared = prepare(*REQUESTS[0][:3], REQUESTS[0][3], AkSkAuth(AK, SK, project_id=PROJECT, clock=lambda: MOMENT))
    parsed = signing.parse_authorization(prepared.headers["Authorization"])
    assert parsed is not None
    expected = sorted(k.lower() for k in prepared.headers if k != "Authorization")
    assert parsed.signed_headers == expected
    for name in ("host", "x-sdk-date", "x-project-id", "content-type", "content-length", "user-agent",
                 "accept-encoding", "connection", "x-language"):
        assert name in parsed.signed_headers


def test_resigning_replaces_the_old_authorization() -> None:
    auth = AkSkAuth(AK, SK, clock=lambda: MOMENT)
    prepared = prepare(*REQUESTS[0][:3], REQUESTS[0][3], auth)
    first = prepared.headers["Authorization"]
    assert auth(prepared).headers["Authorization"] == first


@pytest.mark.parametrize(("url", "host"), [
    ("https://drs.example.com/v3", "drs.example.com"),
    ("https://drs.example.com:443/v3", "drs.example.com"),
    ("http://drs.example.com:80/", "drs.example.com"),
    ("http://127.0.0.1:8080/v3", "127.0.0.1:8080"),
    ("https://[::1]:8443/v3", "[::1]:8443"),
    ("https://DRS.Example.COM/v3", "drs.example.com"),
])
def test_host_header_is_what_http_client_would_send(url: str, host: str) -> None:
    assert host_header(url) == host


def test_repr_shows_no_secret() -> None:
    auth = AkSkAuth(AK, SK, project_id=PROJECT, security_token=SECURITY_TOKEN)
    assert AK not in repr(auth) and SK not in repr(auth) and SECURITY_TOKEN not in repr(auth)
    assert set(auth.secrets()) == {AK, SK, SECURITY_TOKEN}
    assert repr(auth) == f"AkSkAuth(project_id={PROJECT!r}, temporary=True)"
    assert repr(AkSkAuth(AK, SK, project_id=PROJECT)) == f"AkSkAuth(project_id={PROJECT!r}, temporary=False)"


# --- over a real socket: what arrives is what was signed ----------------------------------------


@pytest.mark.parametrize(("method", "path", "params", "body"), [
    ("POST", "/v3/p1/jobs/batch-starting", None, b'{"jobs":[{"job_id":"a"}]}'),
    ("DELETE", "/v3/p1/jobs/batch-jobs", None, b'{"jobs":[{"delete_type":"terminate","job_id":"a"}]}'),
    ("GET", "/v3/projects", {"name": "cn-north-4", "x": "a b"}, None),
    ("POST", "/v3/p1/jobs/batch-status", None, b""),
])
def test_what_arrives_is_what_was_signed(loopback: Any, method: str, path: str, params: dict[str, str] | None,
                                         body: bytes | None) -> None:
    base, received = loopback(lambda _request: (200, {"Content-Type": "application/json"}, b"{}"))
    auth = AkSkAuth(AK, SK, project_id=PROJECT, security_token=SECURITY_TOKEN)
    with requests.Session() as session:
        session.request(method, base + path, params=params, data=body, auth=auth, timeout=5,
                        headers={"Content-Type": "application/json", "X-Language": "en-us"})
    (got,) = received
    parsed = signing.parse_authorization(got["headers"]["authorization"])
    assert parsed is not None and parsed.access_key == AK
    sent_names = sorted(n for n in got["headers"] if n != "authorization")
    assert parsed.signed_headers == sent_names, "a header was added after signing, or a signed one was not sent"
    query = parse_qsl(got["query"], keep_blank_values=True)
    expected = signing.expected_signature(got["method"], got["path"], query, got["headers"], got["body"], parsed, SK)
    assert expected is not None and signing.signatures_match(expected, parsed.signature)
    only_signed = {name: value for name, value in got["headers"].items() if name != "authorization"}
    alone = signing.expected_signature(got["method"], got["path"], query, only_signed, got["body"], parsed, SK)
    assert alone == expected
    for lacking in ("x-sdk-date", "x-language"):  # a request without a header it says it signed cannot match
        headers = {name: value for name, value in got["headers"].items() if name != lacking}
        assert signing.expected_signature(got["method"], got["path"], query, headers, got["body"], parsed, SK) is None


def test_an_sdk_date_is_read_as_the_utc_moment_it_names() -> None:
    """The emulator's clock-skew check compares it with the time now: a naive local time would be hours off
    on a machine far from UTC."""
    assert signing.parse_sdk_date("20260301T123456Z") == MOMENT
