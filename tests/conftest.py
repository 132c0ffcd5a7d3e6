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
TIERS = ("tests/unit/", "tests/integration/", "tests/provider/")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    import os

    from drs_testing.mutation import module_of, own_test_names

    module = module_of(os.environ.get("MUTANT_UNDER_TEST", ""))
    if module is None:
        return
    own = own_test_names(module)

    def rank(item: pytest.Item) -> tuple[bool, int]:
        path = item.nodeid.removeprefix("mutants/")
        tier = next((i for i, prefix in enumerate(TIERS) if path.startswith(prefix)), len(TIERS))
        return (Path(path.partition("::")[0]).name not in own, tier)

    items.sort(key=rank)  # a stable sort: each file's tests keep their order
