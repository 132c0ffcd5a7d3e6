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
