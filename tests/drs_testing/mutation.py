"""Each mutated module's own tests (docs/test-strength.md): run first under mutmut (tests/conftest.py), and
alone by scripts/mutation-first-pass, which judges most mutants in seconds before mutmut runs the rest
against the whole fast selection."""

from __future__ import annotations

import json
import re
from pathlib import Path, PurePosixPath

OWN_TESTS: dict[str, tuple[str, ...]] = {
    "pulumi_drs.api.transport": ("tests/unit/test_transport.py",),
    "pulumi_drs.api.writes": ("tests/unit/test_v3_client.py", "tests/unit/test_v5_client.py",
                              "tests/integration/test_client_emulator.py",
                              "tests/integration/test_v5_client_emulator.py"),
    "pulumi_drs.api.v3.client": ("tests/unit/test_v3_client.py", "tests/integration/test_client_emulator.py"),
    "pulumi_drs.api.v5.client": ("tests/unit/test_v5_client.py", "tests/integration/test_v5_client_emulator.py"),
    "pulumi_drs.auth": ("tests/unit/test_auth.py", "tests/unit/test_signing.py", "tests/unit/test_iam.py",
                         "tests/unit/test_settings.py"),
    "pulumi_drs.signing": ("tests/unit/test_signing.py", "tests/emulator/test_auth.py"),
    "pulumi_drs.provider": ("tests/provider/test_provider_steps.py", "tests/provider/test_provider_mutants.py"),
    "pulumi_drs.lifecycle": ("tests/provider/test_lifecycle.py",),
    "pulumi_drs.native.server": ("tests/provider/test_native_server.py", "tests/provider/test_native_grpc.py"),
    "pulumi_drs.native.engine": ("tests/unit/test_native_engine.py", "tests/provider/test_native_grpc.py"),
    "pulumi_drs.native.props": ("tests/unit/test_native_props.py",),
    "pulumi_drs.native.schema": ("tests/unit/test_schema.py",),
}
"""Where a module's tests are not simply tests/unit/test_<module>.py."""


def module_of(mutant: str) -> str | None:
    """`pulumi_drs.api.v5.client` of `pulumi_drs.api.v5.client.xǁV5Clientǁlist_jobs__mutmut_9`."""
    match = re.match(r"(pulumi_drs\.[\w.]+?)\.x[_\u01c1]", mutant)
    return match.group(1) if match else None


def own_tests(module: str) -> tuple[str, ...]:
    return OWN_TESTS.get(module, (f"tests/unit/test_{module.rpartition('.')[2]}.py",))


def own_test_names(module: str) -> set[str]:
    return {PurePosixPath(path).name for path in own_tests(module)}


def record_verdicts(mutants: Path, verdicts: dict[str, int]) -> None:
    """Write mutants' exit codes (mutmut's: 1 killed, 36 timeout) into the meta files mutmut keeps them in,
    so `mutmut results` and `scripts/mutation --summary` show them. mutmut must not be running."""
    for path in mutants.glob("**/*.py.meta"):
        meta = json.loads(path.read_text())
        codes = meta["exit_code_by_key"]
        mine = {name: code for name, code in verdicts.items() if name in codes}
        if mine:
            codes.update(mine)
            path.write_text(json.dumps(meta, indent=4))
