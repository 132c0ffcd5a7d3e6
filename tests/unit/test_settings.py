"""settings.py: where each value comes from, defaults, validation and the credential kind in use."""

from __future__ import annotations

import os
from typing import Any

import pytest

from pulumi_drs.errors import ConfigurationError
from pulumi_drs.settings import (
    CredentialKind,
    ProviderConfig,
    Settings,
    check_value,
    config_key,
    credential_kind,
    where,
)

AKSK_ENV = {"HW_ACCESS_KEY": "env-ak", "HW_SECRET_KEY": "env-sk"}


def test_first_match_wins_explicit_then_config_then_env() -> None:
    explicit = {"region": "cn-north-4", "project_id": None}
    config = {"drs:region": "ap-southeast-1", "drs:projectId": "0123456789abcdef0123456789abcdef",
              "drs:language": "zh-cn"}
    env = {"HW_REGION_NAME": "eu-west-0", "HW_PROJECT_ID": "fedcba9876543210fedcba9876543210",
           "HW_DRS_ENDPOINT": "https://drs.env", **AKSK_ENV}
    s = Settings.resolve(explicit, config, env)
    assert s.region == "cn-north-4"
    assert s.project_id == "0123456789abcdef0123456789abcdef"
    assert s.language == "zh-cn"
    assert s.endpoint == "https://drs.env"
    assert (s.access_key, s.secret_key) == ("env-ak", "env-sk")


@pytest.mark.parametrize(("field", "envs"), [
    ("access_key", ("HW_ACCESS_KEY", "HUAWEICLOUD_SDK_AK")),
    ("secret_key", ("HW_SECRET_KEY", "HUAWEICLOUD_SDK_SK")),
    ("security_token", ("HW_SECURITY_TOKEN", "HUAWEICLOUD_SDK_SECURITY_TOKEN")),
    ("project_id", ("HW_PROJECT_ID", "HUAWEICLOUD_SDK_PROJECT_ID")),
])
def test_hw_variables_win_over_sdk_variables(field: str, envs: tuple[str, str]) -> None:
    hw, sdk = envs
    a, b = ("a" * 32, "b" * 32) if field == "project_id" else ("a", "b")
    assert getattr(Settings.resolve(env={hw: a, sdk: b}), field) == a
    assert getattr(Settings.resolve(env={sdk: b}), field) == b


@pytest.mark.parametrize(("field", "env", "key"), [
    ("region", "HW_REGION_NAME", "drs:region"),
    ("iam_endpoint", "HW_IAM_ENDPOINT", "drs:iamEndpoint"),
    ("auth_token", "HW_AUTH_TOKEN", "drs:authToken"),
    ("user_name", "HW_USER_NAME", "drs:userName"),
    ("password", "HW_PASSWORD", "drs:password"),
    ("domain_name", "HW_DOMAIN_NAME", "drs:domainName"),
    ("security_token", "HW_SECURITY_TOKEN", "drs:securityToken"),
])
def test_every_documented_source(field: str, env: str, key: str) -> None:
    value = "https://x.example" if field.endswith("endpoint") else "cn-north-4"
    assert getattr(Settings.resolve(env={env: value}), field) == value
    assert getattr(Settings.resolve(config={key: value}), field) == value
    assert config_key(field) == key


def test_empty_values_count_as_unset() -> None:
    s = Settings.resolve({"region": ""}, {"drs:region": ""}, {"HW_REGION_NAME": "cn-north-4"})
    assert s.region == "cn-north-4"


def test_unknown_explicit_setting_is_an_error() -> None:
    with pytest.raises(ConfigurationError, match="regoin"):
        Settings.resolve({"regoin": "cn-north-4"}, env={})


def test_defaults() -> None:
    s = Settings.resolve(env={})
    assert (s.region, s.endpoint, s.iam_endpoint, s.language) == (None, None, None, "en-us")
    assert (s.max_batch_size, s.connect_timeout, s.read_timeout) == (100, 10.0, 60.0)
    assert (s.max_retries, s.backoff_factor, s.backoff_max) == (6, 0.5, 20.0)
    assert (s.retry_deadline_seconds, s.poll_interval_max) == (300.0, 3.0)
    assert s.timeout == (10.0, 60.0)


@pytest.mark.parametrize(("region", "drs", "iam"), [
    ("cn-north-4", "https://drs.cn-north-4.myhuaweicloud.com", "https://iam.cn-north-4.myhuaweicloud.com"),
    ("eu-west-101", "https://drs.eu-west-101.myhuaweicloud.eu", "https://iam.eu-west-101.myhuaweicloud.eu"),
])
def test_endpoint_defaults_follow_the_region(region: str, drs: str, iam: str) -> None:
    s = Settings.resolve({"region": region}, env={})
    assert (s.endpoint, s.iam_endpoint) == (drs, iam)


def test_endpoint_override_and_trailing_slash() -> None:
    s = Settings.resolve({"region": "cn-north-4"}, {"drs:endpoint": "http://127.0.0.1:8080/"}, {})
    assert s.endpoint == "http://127.0.0.1:8080"
    assert s.iam_endpoint == "https://iam.cn-north-4.myhuaweicloud.com"


@pytest.mark.parametrize(("url", "problem"), [
    ("ftp://drs.example.com", "https://"),
    ("drs.example.com", "https://"),
    ("https://", "not an http(s) URL"),
    ("https://drs.example.com/?a=1", "query"),
    ("https://drs.example.com/#frag", "fragment"),
    ("https://user:pw@drs.example.com", "user name or password"),
    ("https://drs.example.com:99999", "port"),
])
def test_malformed_endpoints_name_the_key(url: str, problem: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        Settings.resolve(config={"drs:endpoint": url}, env={})
    text = str(info.value)
    assert problem in text and "drs:endpoint/HW_DRS_ENDPOINT" in text
    assert "pw@" not in text
    with pytest.raises(ConfigurationError, match="drs:iamEndpoint/HW_IAM_ENDPOINT"):
        Settings.resolve(env={"HW_IAM_ENDPOINT": url})


def test_bad_region_names_the_key() -> None:
    with pytest.raises(ConfigurationError, match="drs:region/HW_REGION_NAME"):
        Settings.resolve({"region": "cn north/4"}, env={})


def test_language_is_validated() -> None:
    assert Settings.resolve(config={"drs:language": "ZH-CN"}, env={}).language == "zh-cn"
    with pytest.raises(ConfigurationError, match="drs:language"):
        Settings.resolve(config={"drs:language": "fr-fr"}, env={})


def test_tuning_from_environment() -> None:
    env = {"PULUMI_DRS_MAX_RETRIES": "1", "PULUMI_DRS_BACKOFF_FACTOR": "0.01", "PULUMI_DRS_POLL_INTERVAL_MAX": "0.2",
           "PULUMI_DRS_READ_TIMEOUT": "3", "PULUMI_DRS_CONNECT_TIMEOUT": "1.5", "PULUMI_DRS_BACKOFF_MAX": "0.1",
           "PULUMI_DRS_RETRY_DEADLINE_SECONDS": "5", "PULUMI_DRS_MAX_BATCH_SIZE": "20"}
    s = Settings.resolve(env=env)
    assert (s.max_retries, s.backoff_factor, s.poll_interval_max) == (1, 0.01, 0.2)
    assert s.timeout == (1.5, 3.0)
    assert (s.backoff_max, s.retry_deadline_seconds, s.max_batch_size) == (0.1, 5.0, 20)
    assert Settings.resolve({"max_retries": 0}, env=env).max_retries == 0


@pytest.mark.parametrize(("env", "value"), [
    ("PULUMI_DRS_MAX_RETRIES", "many"),
    ("PULUMI_DRS_MAX_RETRIES", "-1"),
    ("PULUMI_DRS_READ_TIMEOUT", "0"),
    ("PULUMI_DRS_BACKOFF_FACTOR", "nan"),
    ("PULUMI_DRS_MAX_BATCH_SIZE", "0"),
    ("PULUMI_DRS_MAX_BATCH_SIZE", "1.5"),
])
def test_bad_tuning_names_the_variable(env: str, value: str) -> None:
    with pytest.raises(ConfigurationError, match=env):
        Settings.resolve(env={env: value})


# --- credentials -------------------------------------------------------------------------------


@pytest.mark.parametrize(("values", "kind"), [
    ({"access_key": "a", "secret_key": "s"}, CredentialKind.AKSK),
    ({"access_key": "a", "secret_key": "s", "security_token": "t"}, CredentialKind.TEMPORARY_AKSK),
    ({"auth_token": "t"}, CredentialKind.TOKEN),
    ({"user_name": "u", "password": "p", "domain_name": "d"}, CredentialKind.IAM_PASSWORD),
    ({"access_key": "a", "auth_token": "t"}, CredentialKind.TOKEN),
    ({"access_key": "a", "secret_key": "s", "auth_token": "t"}, CredentialKind.AKSK),
])
def test_credential_kind(values: dict[str, Any], kind: CredentialKind) -> None:
    assert credential_kind(Settings(**values)) is kind


@pytest.mark.parametrize("values", [
    {},
    {"access_key": "a"},
    {"secret_key": "s", "security_token": "t"},
    {"user_name": "u", "password": "p"},
])
def test_incomplete_credentials_list_every_way(values: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError) as info:
        credential_kind(Settings(**values))
    text = str(info.value)
    for way in ("drs:accessKey/HW_ACCESS_KEY/HUAWEICLOUD_SDK_AK", "drs:secretKey/HW_SECRET_KEY",
                "drs:securityToken/HW_SECURITY_TOKEN", "drs:authToken/HW_AUTH_TOKEN",
                "drs:userName/HW_USER_NAME", "drs:password/HW_PASSWORD", "drs:domainName/HW_DOMAIN_NAME"):
        assert way in text
    for value in values.values():
        assert f"'{value}'" not in text


def test_repr_shows_only_the_credential_kind() -> None:
    s = Settings(region="cn-north-4", access_key="AKVISIBLE", secret_key="SKSECRET", security_token="TOKSECRET",
                 password="PWSECRET", auth_token="AUTHSECRET", user_name="bob", domain_name="corp")
    text = repr(s)
    for secret in ("AKVISIBLE", "SKSECRET", "TOKSECRET", "PWSECRET", "AUTHSECRET"):
        assert secret not in text
    assert "temporary AK/SK" in text
    assert "credentials='none'" in repr(Settings())
    assert sorted(s.secrets()) == sorted(["AKVISIBLE", "SKSECRET", "TOKSECRET", "AUTHSECRET", "PWSECRET"])


def test_settings_are_frozen() -> None:
    with pytest.raises(AttributeError):
        Settings().region = "x"  # type: ignore[misc]


def test_where_names_config_key_and_env_vars() -> None:
    assert where("access_key") == "drs:accessKey/HW_ACCESS_KEY/HUAWEICLOUD_SDK_AK"
    assert where("language") == "drs:language"


def test_a_region_the_sdk_does_not_know_needs_an_endpoint() -> None:
    with pytest.raises(ConfigurationError) as exc:
        Settings.resolve(explicit={"region": "xx-nowhere-9"}, config={}, env={})
    assert str(exc.value) == ("DRS is not known in region 'xx-nowhere-9': set drs:endpoint/HW_DRS_ENDPOINT to "
                              "its DRS endpoint, or check drs:region/HW_REGION_NAME")
    assert exc.value.setting == "region"
    with_endpoint = Settings.resolve(explicit={"region": "xx-nowhere-9"}, config={"drs:endpoint": "https://d.x"},
                                     env={})
    assert with_endpoint.endpoint == "https://d.x"


def test_missing_credentials_are_said_with_every_way_to_give_them_and_what_is_set() -> None:
    none = Settings(endpoint="https://drs.example")
    with pytest.raises(ConfigurationError) as err:
        credential_kind(none)
    assert str(err.value) == (
        "No complete Huawei Cloud credentials for DRS. Provide one of:\n"
        "  - AK/SK: drs:accessKey/HW_ACCESS_KEY/HUAWEICLOUD_SDK_AK and drs:secretKey/HW_SECRET_KEY/HUAWEICLOUD_SDK_SK\n"
        "  - temporary AK/SK: the above and drs:securityToken/HW_SECURITY_TOKEN/HUAWEICLOUD_SDK_SECURITY_TOKEN\n"
        "  - an IAM token: drs:authToken/HW_AUTH_TOKEN\n"
        "  - an IAM user: drs:userName/HW_USER_NAME, drs:password/HW_PASSWORD and drs:domainName/HW_DOMAIN_NAME\n"
        "Values are read from explicit arguments, then Pulumi config, then the environment. None is set.")
    with pytest.raises(ConfigurationError) as partial:
        credential_kind(Settings(access_key="AK", user_name="u"))
    assert str(partial.value).endswith(" Only drs:accessKey, drs:userName is set.")


def test_a_provider_config_shows_its_keys_never_its_values() -> None:
    config = ProviderConfig.read({"drs:secretKey": "S3CRET", "drs:region": "cn-north-4", "drs:endpoint": ""})
    assert repr(config) == "ProviderConfig(keys=['drs:region', 'drs:secretKey'])"


def _not_http(url: str) -> str:
    return f"{url!r} is not an http(s) URL such as https://drs.ap-southeast-1.myhuaweicloud.com"


LONG = "ftp://drs.example.com/" + "x" * 58  # 80 characters: shown whole
CREDENTIALS = "must not contain a user name or password; configure drs:accessKey/drs:secretKey instead"


@pytest.mark.parametrize(("url", "message"), [
    ("https://user@drs.example.com", CREDENTIALS),
    ("https://:pw@drs.example.com", CREDENTIALS),
    ("ftp://drs.example.com", _not_http("ftp://drs.example.com")),
    (LONG, _not_http(LONG)),
    (LONG + "y", _not_http(LONG + "...")),  # 81: cut to 80, and says so
    ("https://drs.example.com/?", "'https://drs.example.com/?' must not have a query or fragment"),
    ("https://drs.example.com/#", "'https://drs.example.com/#' must not have a query or fragment"),
    ("https://drs.example.com:99999", "'https://drs.example.com:99999' has an invalid port (0 to 65535)"),
])
def test_a_malformed_endpoint_says_exactly_what_is_wrong(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        Settings.resolve(config={"drs:endpoint": url}, env={})
    assert str(info.value) == f"endpoint: {message}: check drs:endpoint/HW_DRS_ENDPOINT"


def test_a_provider_config_keeps_what_configure_set_and_the_environment_it_was_given(
        monkeypatch: pytest.MonkeyPatch) -> None:
    given = ProviderConfig.read({"drs:region": "cn-north-4", "drs:endpoint": "", "drs:projectId": None,
                                 "drs:maxRetries": 0}, env={"HW_ACCESS_KEY": "ak"},
                                unknown=frozenset({"drs:secretKey"}))
    assert dict(given.values) == {"drs:region": "cn-north-4", "drs:maxRetries": 0}  # 0 is set; "" and None not
    assert dict(given.env) == {"HW_ACCESS_KEY": "ak"}
    assert given.unknown == frozenset({"drs:secretKey"})

    monkeypatch.setenv("HW_REGION_NAME", "ap-southeast-1")
    process = ProviderConfig.read({})
    assert process.env is os.environ and process.unknown == frozenset()
    assert process.settings().region == "ap-southeast-1"  # the process's environment, read at settings()


def test_a_provider_config_gives_overrides_then_its_values_then_its_environment() -> None:
    config = ProviderConfig.read({"drs:region": "cn-north-4", "drs:maxRetries": "2"},
                                 env={"HW_REGION_NAME": "eu-west-101", "HW_PROJECT_ID": "a" * 32,
                                      "PULUMI_DRS_MAX_RETRIES": "5", "PULUMI_DRS_MAX_BATCH_SIZE": "7"})
    plain = config.settings()
    assert (plain.region, plain.project_id, plain.max_retries, plain.max_batch_size) == ("cn-north-4", "a" * 32, 2, 7)
    assert plain.endpoint == "https://drs.cn-north-4.myhuaweicloud.com"
    overridden = config.settings({"region": "ap-southeast-1", "max_retries": None})
    assert (overridden.region, overridden.max_retries) == ("ap-southeast-1", 2)  # None overrides nothing
    assert overridden.endpoint == "https://drs.ap-southeast-1.myhuaweicloud.com"


def test_a_provider_config_names_every_secret_in_its_values_and_its_environment_once() -> None:
    config = ProviderConfig.read(
        {"drs:accessKey": "AK1", "drs:secretKey": "SK1", "drs:password": 1234, "drs:userName": "alice",
         "drs:region": "cn-north-4"},
        env={"HW_ACCESS_KEY": "AK1", "HUAWEICLOUD_SDK_AK": "AK2", "HW_SECRET_KEY": "", "HUAWEICLOUD_SDK_SK": "SK2",
             "HW_SECURITY_TOKEN": "ST1", "HUAWEICLOUD_SDK_SECURITY_TOKEN": "ST2", "HW_AUTH_TOKEN": "TOK",
             "HW_PASSWORD": "PW", "HW_USER_NAME": "bob", "HW_PROJECT_ID": "p" * 32})
    # in Settings' field order, the configuration's before the environment's; names and project IDs are no secret
    assert config.secrets() == ["AK1", "SK1", "1234", "AK2", "SK2", "ST1", "ST2", "TOK", "PW"]
    assert ProviderConfig.read({}, env={}).secrets() == []


# --- exact errors and normal forms (each assertion kills a mutant the looser tests above let live) ----------


def test_every_multi_word_setting_has_its_camel_case_key() -> None:
    assert [config_key(n) for n in ("retry_deadline_seconds", "poll_interval_max", "max_batch_size")] == [
        "drs:retryDeadlineSeconds", "drs:pollIntervalMax", "drs:maxBatchSize"]
    s = Settings.resolve(config={"drs:retryDeadlineSeconds": "7", "drs:pollIntervalMax": "0.5"}, env={})
    assert (s.retry_deadline_seconds, s.poll_interval_max) == (7.0, 0.5)


@pytest.mark.parametrize(("name", "value", "message"), [
    ("region", 4, "must be a string, not int"),
    ("region", "Cn-North-4", "'Cn-North-4' is not a Huawei Cloud region name such as ap-southeast-1"),
    ("project_id", "A" * 32, f"{'A' * 32!r} is not a project ID (32 lowercase hex digits)"),
    ("language", "fr-fr", "'fr-fr' is not supported; use one of en-us, zh-cn"),
    ("api_version", "v4", "'v4' is not a DRS API version pulumi-drs speaks; use one of v3, v5"),
])
def test_check_value_says_exactly_what_is_wrong(name: str, value: object, message: str) -> None:
    with pytest.raises(ValueError) as info:
        check_value(name, value)
    assert str(info.value) == message
    with pytest.raises(ConfigurationError) as configured:  # the same reason, naming where it is set
        Settings(**{name: value})
    assert str(configured.value) == f"{name}: {message}: check {where(name)}"
    assert configured.value.setting == name


def test_check_value_gives_an_endpoint_without_its_spaces_and_trailing_slashes() -> None:
    assert check_value("endpoint", " https://drs.example.com/X// ") == "https://drs.example.com/X"
    assert check_value("iam_endpoint", "http://127.0.0.1:8080/") == "http://127.0.0.1:8080"


def test_only_endpoints_lose_a_trailing_slash_and_only_their_slashes() -> None:
    s = Settings.resolve(config={"drs:endpoint": "http://127.0.0.1:8080/pathX/", "drs:apiVersion": " V5 "}, env={})
    assert (s.endpoint, s.api_version) == ("http://127.0.0.1:8080/pathX", "v5")
    with pytest.raises(ConfigurationError, match=r"^project_id: 'a{32}/' is not a project ID"):
        Settings.resolve(config={"drs:projectId": "a" * 32 + "/"}, env={})


@pytest.mark.parametrize(("name", "value", "message"), [
    ("max_retries", "many", "max_retries must be a whole number, got 'many'"),
    ("max_retries", True, "max_retries must be a whole number, got True"),  # YAML `true` is not 1 retry
    ("max_retries", [1], "max_retries must be a whole number, got [1]"),
    ("max_batch_size", 2.5, "max_batch_size must be a whole number, got 2.5"),
    ("max_batch_size", "1e400", "max_batch_size must be a whole number, got '1e400'"),
    ("max_batch_size", 10**400, f"max_batch_size must be a whole number, got {10**400}"),
    ("read_timeout", "soon", "read_timeout must be a number, got 'soon'"),
    ("read_timeout", {"s": 1}, "read_timeout must be a number, got {'s': 1}"),
    ("read_timeout", False, "read_timeout must be a number, got False"),
])
def test_a_number_setting_that_is_no_such_number_is_refused_by_name(name: str, value: object, message: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        Settings.resolve({name: value}, env={})
    assert str(info.value) == f"{message}: check {where(name)}"
    assert info.value.setting == name


def test_number_settings_take_numbers_as_inputs_send_them_and_text_as_config_does() -> None:
    s = Settings.resolve({"max_batch_size": 50.0, "max_retries": 2}, {"drs:readTimeout": " 7.5 "},
                         {"PULUMI_DRS_BACKOFF_MAX": "3"})
    assert (s.max_batch_size, s.max_retries, s.read_timeout, s.backoff_max) == (50, 2, 7.5, 3.0)
    assert type(s.max_batch_size) is int and type(s.backoff_max) is float


def test_a_number_below_its_minimum_or_a_bool_is_refused_by_name_when_settings_are_built() -> None:
    with pytest.raises(ConfigurationError) as low:
        Settings(max_retries=-1)
    assert str(low.value) == "max_retries must be a number of at least 0, got -1: check " + where("max_retries")
    assert low.value.setting == "max_retries"
    with pytest.raises(ConfigurationError, match=r"^max_retries must be a number of at least 0, got True"):
        Settings(max_retries=True)


BOUNDS = {"max_batch_size": (1, 0), "max_retries": (0, -1), "connect_timeout": (0.001, 0.0),
          "read_timeout": (0.001, 0.0), "backoff_factor": (0, -0.001), "backoff_max": (0, -0.001),
          "retry_deadline_seconds": (0, -0.001), "poll_interval_max": (0.001, 0.0)}
"""Each number setting's least value and one just below it (a timeout or a poll of 0 would never wait; a
batch of 0 jobs would never send)."""


@pytest.mark.parametrize(("name", "least", "below"), [(name, *bounds) for name, bounds in BOUNDS.items()])
def test_each_number_setting_takes_its_least_value_and_refuses_less(name: str, least: float, below: float) -> None:
    assert getattr(Settings.resolve({name: least}, env={}), name) == least
    with pytest.raises(ConfigurationError) as info:
        Settings.resolve({name: below}, env={})
    assert str(info.value) == f"{name} must be a number of at least {least}, got {below!r}: check {where(name)}"
    assert info.value.setting == name


def test_unknown_explicit_settings_are_all_named() -> None:
    with pytest.raises(ConfigurationError) as info:
        Settings.resolve({"regoin": "x", "endpiont": "y"}, env={})
    assert str(info.value) == "unknown settings: endpiont, regoin"


def test_a_malformed_region_is_said_before_asking_whether_drs_serves_it() -> None:
    with pytest.raises(ConfigurationError) as info:
        Settings.resolve({"region": "Nowhere"}, env={})
    assert str(info.value) == ("region: 'Nowhere' is not a Huawei Cloud region name such as ap-southeast-1: "
                               "check drs:region/HW_REGION_NAME")
