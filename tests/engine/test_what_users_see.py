"""What users see in the CLI: progress during long waits, drift in a plain preview, honest diffs after a
refresh, messages that name their jobs, and no DRS call added to a quiet preview."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import pytest
from pulumi import automation as auto

from drs_testing.e2e import start_counts
from drs_testing.engine import EngineStack
from pulumi_drs.emulator import EmulatorAdmin

RUNNING = "INCRE_TRANSFER_STARTED"
PROGRESS = re.compile(r"pulumi-drs: (?P<batch>[\w-]+): (?P<done>\d+)/(?P<total>\d+) job\(s\) running.*"
                      r"\((?P<elapsed>[^,]+) elapsed, (?P<left>.+) left\)")


def seconds(text: str) -> int:
    """`1 min 05 s` or `42 s` as seconds."""
    parts = dict(zip(text.split()[1::2], map(int, text.split()[::2]), strict=True))
    return parts.get("h", 0) * 3600 + parts.get("min", 0) * 60 + parts.get("s", 0)


def test_an_up_waiting_over_a_minute_prints_a_progress_line_at_least_every_30_seconds(
        admin: EmulatorAdmin, new_stack: Callable[..., EngineStack]) -> None:
    admin.settings(transition_seconds=65)  # STARTJOBING lasts 65 s
    jobs = [j["id"] for j in admin.create_jobs(2)]
    es = new_stack()
    es.program_args["batches"] = {"nightly": {"job_ids": jobs, "timeout": "10m"}}
    es.up()
    lines = [m for m in (PROGRESS.search(line) for line in es.text().splitlines()) if m]
    assert lines and all(m["batch"] == "nightly" and m["total"] == "2" for m in lines)
    elapsed = sorted({seconds(m["elapsed"]) for m in lines})
    assert elapsed[-1] >= 60
    gaps = [b - a for a, b in zip([0, *elapsed], elapsed, strict=False)]
    assert max(gaps) <= 30 + 4, elapsed  # a line at least every 30 s (and a poll of at most 3 s)
    assert lines[-1]["done"] == "2" and len(lines) >= math.floor(elapsed[-1] / 30) + 1


def test_a_plain_preview_shows_a_job_paused_outside_pulumi_and_up_resumes_it_once(
        admin: EmulatorAdmin, new_stack: Callable[..., EngineStack]) -> None:
    jobs = [j["id"] for j in admin.create_jobs(2)]
    es = new_stack()
    es.program_args["batches"] = {"orders": {"job_ids": jobs, "wait": "incremental"}}
    es.up()
    admin.set_status(jobs[1], "PAUSING")

    preview = es.preview(diff=True)  # no --refresh
    assert preview.change_summary.get("update") == 1
    assert re.search(rf'\+ drift\s*: {{\s*\+ {jobs[1]}: "PAUSING"\s*}}', preview.stdout), preview.stdout
    printed = preview.stdout + preview.stderr  # the provider's lines: diagnostics of the stack
    assert f"orders: job {jobs[1]} drifted: INCRE_TRANSFER_STARTED => PAUSING; `pulumi up` will resume it" in printed
    assert f"job {jobs[0]} drifted" not in printed

    up = es.up()
    assert up.summary.resource_changes.get("update") == 1
    assert admin.get_job(jobs[1])["retry_count"] == 1 and admin.get_job(jobs[1])["status"] == RUNNING
    assert up.outputs["orders_statuses"].value[jobs[1]] == RUNNING
    assert start_counts(admin, jobs) == {j: 1 for j in jobs}
    assert es.preview().change_summary == {"same": 2}


def test_a_refresh_then_a_preview_shows_only_the_job_changes(
        admin: EmulatorAdmin, new_stack: Callable[..., EngineStack]) -> None:
    jobs = [j["id"] for j in admin.create_jobs(2)]
    es = new_stack()
    es.program_args["batches"] = {"orders": {"job_ids": jobs, "timeout": "20m"}}
    es.up()
    admin.set_status(jobs[0], "INCRE_TRANSFER_FAILED")
    es.refresh()
    preview = es.preview(diff=True)
    changed = [line.strip() for line in preview.stdout.splitlines() if line.strip().startswith(("+ ", "- ", "~ "))]
    assert any("drift" in line for line in changed), preview.stdout
    assert not [line for line in changed if re.match(r"[-+~] (timeout|wait|stop_on_delete|job_ids|start_time)",
                                                   line)], changed
    assert "[diff: " not in preview.stdout or "drift" in preview.stdout


def test_a_failed_up_starts_with_a_one_line_cause_that_names_the_job(
        admin: EmulatorAdmin, new_stack: Callable[..., EngineStack]) -> None:
    ok, failing = (j["id"] for j in admin.create_jobs([{}, {"fail_start": True}]))
    es = new_stack()
    es.program_args["batches"] = {"orders": {"job_ids": [ok, failing]}}
    with pytest.raises(auto.CommandError) as err:
        es.up()
    text = str(err.value)
    cause = next(line for line in text.splitlines() if "could not be brought to running" in line)
    assert "1 job(s) could not be brought to running:" in cause
    assert f"job {failing}: START_JOB_FAILED" in text and f"job {ok}:" not in text
    assert "Traceback" not in text.split("could not be brought", 1)[1]


def test_a_preview_of_a_stack_whose_jobs_all_run_makes_one_status_call_per_100_jobs_and_nothing_else(
        admin: EmulatorAdmin, new_stack: Callable[..., EngineStack]) -> None:
    jobs = [j["id"] for j in admin.create_jobs(150)]
    es = new_stack()
    es.program_args["batches"] = {"orders": {"job_ids": jobs}}
    es.up()
    admin.clear_requests()
    assert es.preview().change_summary == {"same": 2}
    log = admin.requests_log()
    assert [r["path"].rsplit("/", 1)[1] for r in log] == ["batch-status", "batch-status"]
