"""Shared test set-up: the test helpers package `drs_testing` importable, no ambient credentials."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

CREDENTIAL_ENV_PREFIXES = ("HW_", "HUAWEICLOUD_SDK_", "PULUMI_DRS_")


@pytest.fixture(autouse=True)
def _no_ambient_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's real Huawei Cloud credentials must never reach a test (or a test's DRS)."""
    import os

    for name in list(os.environ):
        if name.startswith(CREDENTIAL_ENV_PREFIXES):
            monkeypatch.delenv(name)


@pytest.fixture(autouse=True)
def _fresh_token_cache() -> None:
    """IAM tokens are cached per process; each test starts without any."""
    from pulumi_drs import auth

    auth._SHARED_TOKENS.clear()


# Under mutation testing (docs/test-strength.md) mutmut runs each mutant against every test that calls the
# mutated function, stopping at the first failure (-x), in no particular order. Running the mutated module's
# own tests first, then the fast tiers before the slow ones, kills most mutants in seconds instead of after
# a minute of unrelated tests. The verdict cannot change: the same tests run, in another order.
OWN_TEST_FILES = {
    "pulumi_drs.api.transport": ("test_transport.py",),
    "pulumi_drs.api.writes": ("test_client_emulator.py", "test_v5_client_emulator.py"),
    "pulumi_drs.api.v3.client": ("test_v3_client.py", "test_client_emulator.py"),
    "pulumi_drs.api.v5.client": ("test_v5_client.py", "test_v5_client_emulator.py"),
    "pulumi_drs.auth": ("test_signing.py", "test_iam.py", "test_settings.py"),
    "pulumi_drs.provider": ("test_provider_steps.py", "test_provider_mutants.py"),
    "pulumi_drs.native.server": ("test_native_server.py", "test_native_grpc.py"),
    "pulumi_drs.native.engine": ("test_native_engine.py", "test_native_grpc.py"),
    "pulumi_drs.native.props": ("test_native_props.py",),
    "pulumi_drs.native.schema": ("test_schema.py",),
}
TIERS = ("tests/unit/", "tests/integration/", "tests/provider/")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    import os
    import re

    mutant = re.match(r"(pulumi_drs\.[\w.]+?)\.x[_\u01c1]", os.environ.get("MUTANT_UNDER_TEST", ""))
    if not mutant:
        return
    module = mutant.group(1)
    own = OWN_TEST_FILES.get(module, (f"test_{module.rpartition('.')[2]}.py",))

    def rank(item: pytest.Item) -> tuple[bool, int]:
        path = item.nodeid.removeprefix("mutants/")
        tier = next((i for i, prefix in enumerate(TIERS) if path.startswith(prefix)), len(TIERS))
        return (Path(path.partition("::")[0]).name not in own, tier)

    items.sort(key=rank)  # a stable sort: each file's tests keep their order
