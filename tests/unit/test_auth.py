"""auth.build_auth gives each kind of credential its strategy with exactly the configured values: what a
request carries is checked as DRS would check it (the signature recomputed with the secret key, the token
header, the IAM token request the user's password buys), not by the strategy's type alone."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from pulumi_drs import signing
from pulumi_drs.auth import AkSkAuth, IamPasswordAuth, TokenAuth, body_bytes, build_auth
from pulumi_drs.errors import ConfigurationError
from pulumi_drs.settings import Settings

AK, SK = "HPUAEXAMPLEAK0000009", "AnotherSecretKey/With+Odd=Chars000000009"
PROJECT = "fedcba9876543210fedcba9876543210"
SECURITY_TOKEN = "temporary-security-token-0009=="
TOKEN = "MIIgiven-iam-token-0009"
NO_TRANSMIT: Any = None


def signed(auth: requests.auth.AuthBase, url: str = "https://drs.example.com/v3/p1/jobs/batch-status?b=1&a=",
           body: bytes | None = b'{"jobs":["a"]}', method: str = "POST") -> requests.PreparedRequest:
    request = requests.Request(method, url, data=body, headers={"Content-Type": "application/json"}, auth=auth)
    return requests.Session().prepare_request(request)


def assert_signed_by(prepared: requests.PreparedRequest, access_key: str, secret_key: str) -> None:
    """As DRS checks it: the access key named, the signature recomputed with the secret key over every
    header the request says it signed, its method, path, query and body."""
    parsed = signing.parse_authorization(prepared.headers["Authorization"])
    assert parsed is not None and parsed.access_key == access_key
    parts = urlsplit(prepared.url or "")
    expected = signing.expected_signature(prepared.method or "", parts.path,
                                          parse_qsl(parts.query, keep_blank_values=True), prepared.headers,
                                          body_bytes(prepared.body), parsed, secret_key)
    assert expected is not None and signing.signatures_match(expected, parsed.signature)


@pytest.mark.parametrize("token", [None, SECURITY_TOKEN], ids=["permanent", "temporary"])
def test_an_ak_sk_signs_with_the_configured_keys_project_and_token(make_settings: Callable[..., Settings],
                                                                 token: str | None) -> None:
    auth = build_auth(make_settings(access_key=AK, secret_key=SK, project_id=PROJECT, security_token=token),
                      NO_TRANSMIT)
    assert isinstance(auth, AkSkAuth)
    prepared = signed(auth)
    assert_signed_by(prepared, AK, SK)
    assert prepared.headers["X-Project-Id"] == PROJECT
    assert prepared.headers.get("X-Security-Token") == token
    assert set(auth.secrets()) == {AK, SK} | ({token} if token else set())


def test_an_ak_sk_without_a_project_sends_no_project_header(make_settings: Callable[..., Settings]) -> None:
    prepared = signed(build_auth(make_settings(access_key=AK, secret_key=SK, project_id=None), NO_TRANSMIT))
    assert "X-Project-Id" not in prepared.headers
    assert_signed_by(prepared, AK, SK)


def test_an_ak_sk_wins_over_a_token_and_a_token_over_a_user(make_settings: Callable[..., Settings]) -> None:
    everything = make_settings(access_key=AK, secret_key=SK, auth_token=TOKEN, user_name="u", password="p",
                               domain_name="d")
    assert isinstance(build_auth(everything, NO_TRANSMIT), AkSkAuth)
    token = make_settings(access_key=None, secret_key=None, auth_token=TOKEN, user_name="u", password="p",
                          domain_name="d")
    auth = build_auth(token, NO_TRANSMIT)
    assert isinstance(auth, TokenAuth)
    prepared = signed(auth)
    assert prepared.headers["X-Auth-Token"] == TOKEN and "Authorization" not in prepared.headers
    assert auth.secrets() == (TOKEN,)


def test_an_iam_user_buys_a_token_scoped_to_the_region_with_its_own_name_password_and_domain(
        make_settings: Callable[..., Settings]) -> None:
    asked: list[tuple[str, str, dict[str, Any]]] = []

    def transmit(method: str, url: str, body: bytes | None) -> requests.Response:
        asked.append((method, url, json.loads(body or b"{}")))
        answer = requests.Response()
        answer.status_code, answer._content = 201, b'{"token": {"expires_at": "2099-01-01T00:00:00.000000Z"}}'
        answer.headers["X-Subject-Token"] = "MIIbought-token"
        return answer

    settings = make_settings(access_key=None, secret_key=None, user_name="ops-user", password="pa55-word",
                             domain_name="ops-domain", region="ap-southeast-3",
                             iam_endpoint="https://iam.example.test:8443")
    auth = build_auth(settings, transmit)
    assert isinstance(auth, IamPasswordAuth)
    assert signed(auth).headers["X-Auth-Token"] == "MIIbought-token"
    ((method, url, body),) = asked
    assert (method, url) == ("POST", "https://iam.example.test:8443/v3/auth/tokens")
    user = body["auth"]["identity"]["password"]["user"]
    assert (user["name"], user["password"], user["domain"]["name"]) == ("ops-user", "pa55-word", "ops-domain")
    assert body["auth"]["scope"]["project"]["name"] == "ap-southeast-3"
    assert "pa55-word" in auth.secrets()


@pytest.mark.parametrize("missing", [{"region": None}, {"iam_endpoint": None}])
def test_an_iam_user_without_a_region_or_iam_endpoint_is_told_what_to_set(
        make_settings: Callable[..., Settings], missing: dict[str, Any]) -> None:
    settings = make_settings(**{"access_key": None, "secret_key": None, "user_name": "u", "password": "p",
                                "domain_name": "d", **missing})
    with pytest.raises(ConfigurationError) as raised:
        build_auth(settings, NO_TRANSMIT)
    assert str(raised.value) == ("IAM password authentication needs the region: set drs:region/HW_REGION_NAME "
                                 "(or drs:iamEndpoint/HW_IAM_ENDPOINT)")


def test_no_complete_credential_is_refused_before_anything_is_built(make_settings: Callable[..., Settings]) -> None:
    with pytest.raises(ConfigurationError, match="No complete Huawei Cloud credentials"):
        build_auth(make_settings(access_key=AK, secret_key=None), NO_TRANSMIT)


def test_a_body_is_signed_as_the_bytes_sent() -> None:
    assert body_bytes(None) == b""
    assert body_bytes(b"\x00raw") == b"\x00raw"
    assert body_bytes("ü") == "ü".encode()
    with pytest.raises(TypeError) as raised:
        body_bytes(iter([b"a"]))
    assert str(raised.value) == "AkSkAuth signs only bytes or str bodies, not streams"


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_a_body_less_request_and_a_root_path_are_signed_as_sent(method: str) -> None:
    prepared = signed(AkSkAuth(AK, SK), url="https://drs.example.com", body=None, method=method)
    assert prepared.headers["Host"] == "drs.example.com"
    assert_signed_by(prepared, AK, SK)


def test_a_request_signed_in_a_zone_far_from_utc_is_dated_in_utc(far_from_utc: None) -> None:
    """DRS refuses a signature whose X-Sdk-Date is off by more than a few minutes: the default clock must give
    the UTC time, not the local one written with a Z."""
    prepared = signed(AkSkAuth(AK, SK))
    dated = signing.parse_sdk_date(prepared.headers[signing.DATE_HEADER])
    assert abs((dated - datetime.now(timezone.utc)).total_seconds()) < 60
