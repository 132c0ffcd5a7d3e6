"""Run-time settings through `/_emulator/settings`: every one readable and settable, checked, and restored
by reset."""

from __future__ import annotations

import pytest
import requests
from emulator_helpers import SignedDrs, SignedDrsV5

from pulumi_drs.emulator import EmulatorAdmin, EmulatorProcess
from pulumi_drs.emulator.config import DEFAULT_TOKEN_TTL_SECONDS

STARTED_WITH = {
    "transition_seconds": 0.2,
    "reads_per_step": 1,
    "hold_statuses": [],
    "max_per_page": 100,
    "latency_ms": 0.0,
    "token_ttl_seconds": DEFAULT_TOKEN_TTL_SECONDS,
    "v5_action_answer": "sync",
}


def test_settings_reads_every_setting(admin: EmulatorAdmin) -> None:
    assert admin.settings() == STARTED_WITH


def test_settings_changes_only_what_it_names(admin: EmulatorAdmin) -> None:
    changed = admin.settings(reads_per_step=3, hold_statuses=["PAUSING"], max_per_page=10, v5_action_answer="async")

    assert changed == {**STARTED_WITH, "reads_per_step": 3, "hold_statuses": ["PAUSING"], "max_per_page": 10,
                       "v5_action_answer": "async"}
    assert requests.get(admin.url + "/settings", timeout=10).json() == changed


def test_reset_restores_the_settings_the_emulator_started_with(admin: EmulatorAdmin) -> None:
    admin.settings(transition_seconds=0, reads_per_step=4, hold_statuses=["X"], max_per_page=1, latency_ms=5,
                   v5_action_answer="async")

    admin.reset()

    assert admin.settings() == STARTED_WITH


@pytest.mark.parametrize(
    "bad", [{"reads_per_step": 0}, {"max_per_page": 0}, {"transition_seconds": -1}, {"hold_statuses": "PAUSING"},
            {"v5_action_answer": "202"}, {"no_such_setting": 1}],
)
def test_a_bad_setting_answers_400_and_changes_nothing(admin: EmulatorAdmin, bad: dict[str, object]) -> None:
    with pytest.raises(requests.HTTPError) as raised:
        admin.settings(**bad)

    assert raised.value.response.status_code == 400
    assert admin.settings() == STARTED_WITH


def test_the_command_line_sets_reads_per_step_and_max_per_page() -> None:
    with EmulatorProcess("--transition-seconds", "0", "--reads-per-step", "2", "--max-per-page", "3") as emulator:
        settings = emulator.admin.settings()
        jobs = [job["id"] for job in emulator.admin.create_jobs(5)]
        page = SignedDrs(emulator.url).status(jobs, {"cur_page": 1, "per_page": 100}).json()
        emulator.admin.reset()
        restored = emulator.admin.settings()

    assert (settings["reads_per_step"], settings["max_per_page"]) == (2, 3)
    assert page["count"] == 3
    assert (restored["reads_per_step"], restored["max_per_page"]) == (2, 3)


@pytest.mark.parametrize("flag", ["--reads-per-step", "--max-per-page"])
def test_the_command_line_refuses_less_than_one(flag: str) -> None:
    with pytest.raises(RuntimeError, match="must be 1 or more"):
        EmulatorProcess(flag, "0", startup_timeout=10).start()


def test_the_command_line_sets_the_v5_action_answer_and_reset_keeps_it() -> None:
    with EmulatorProcess("--v5-action-answer", "async") as emulator:
        job = emulator.admin.create_jobs(1)[0]["id"]
        answer = SignedDrsV5(SignedDrs(emulator.url)).act("start", job)
        emulator.admin.reset()
        restored = emulator.admin.settings()["v5_action_answer"]

    assert (answer.status_code, set(answer.json()["jobs"][0])) == (202, {"id", "name", "query_id"})
    assert restored == "async"


def test_the_command_line_refuses_an_undocumented_v5_action_answer() -> None:
    with pytest.raises(RuntimeError, match="invalid choice"):
        EmulatorProcess("--v5-action-answer", "202", startup_timeout=10).start()
