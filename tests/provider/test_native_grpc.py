"""The native plugin `pulumi-resource-drs` over gRPC, as the engine drives it, against the emulator.

What the engine tier cannot pin down exactly: the names at the edge, secrets wrapped again, the
preview's create that sends nothing, provider settings checked and never replacing, lines kept or
ephemeral on the resource's row, Cancel ending a wait, and the plugin exiting when its engine is gone.
"""

from __future__ import annotations

import json
import time
from typing import Any

import grpc
import pytest
from pulumi.output import Unknown
from pulumi.runtime.proto import provider_pb2

from drs_testing.e2e import calls, start_counts
from drs_testing.native_plugin import (
    URN,
    InProcessPlugin,
    NativePlugin,
    RecordingEngine,
    in_thread,
    plain,
    secret,
    struct,
)
from drs_testing.provider_steps import new_jobs
from pulumi_drs.emulator import EmulatorAdmin
from pulumi_drs.native.schema import schema

RUNNING = "INCRE_TRANSFER_STARTED"


Plugin = InProcessPlugin | NativePlugin


def check(plugin: Plugin, news: dict[str, Any], olds: dict[str, Any] | None = None) -> Any:
    return plugin.stub.Check(provider_pb2.CheckRequest(urn=URN, olds=struct(olds or {}), news=struct(news)))


def create(plugin: Plugin, props: dict[str, Any], **kw: Any) -> Any:
    return plugin.stub.Create(provider_pb2.CreateRequest(urn=URN, properties=struct(props), **kw))


def test_the_console_script_serves_the_schema_derived_from_the_code(process: NativePlugin) -> None:
    served = process.stub.GetSchema(provider_pb2.GetSchemaRequest(version=0))
    assert json.loads(served.schema) == schema()
    assert process.stub.GetPluginInfo(provider_pb2.google_dot_protobuf_dot_empty__pb2.Empty()).version == "0.3.0"


def test_check_takes_and_returns_pulumi_names_and_names_the_property_of_each_failure(
        plugin: InProcessPlugin, admin: EmulatorAdmin) -> None:
    job = new_jobs(admin)[0]
    ok = check(plugin, {"jobIds": [job], "stopOnDelete": True, "startTime": "2099-01-01T00:00:00Z"})
    assert list(ok.failures) == []
    assert plain(ok.inputs) == {"jobIds": [job], "stopOnDelete": True, "startTime": "4070908800000"}

    bad = check(plugin, {"jobIds": [job, job], "timeout": "soon"})
    assert [(f.property, f.reason) for f in bad.failures] == [
        ("jobIds", f"'{job}' is listed twice"),
        ("timeout", "'soon' is not seconds or a duration such as '45m' or '1h30m'")]
    overlap = check(plugin, {"jobIds": [job], "forwardJobIds": [job]})
    assert [(f.property, f.reason.split(":")[0]) for f in overlap.failures] == [
        ("forwardJobIds", f"{job} is also in jobIds")]  # the message speaks Pulumi's names too


def test_a_preview_create_sends_nothing_to_drs_and_leaves_what_it_will_read_unknown(
        plugin: InProcessPlugin, admin: EmulatorAdmin) -> None:
    job = new_jobs(admin)[0]
    admin.clear_requests()
    planned = create(plugin, {"jobIds": [job], "wait": "accepted"}, preview=True)
    assert admin.requests_log() == []
    outs = plain(planned.properties)
    assert outs["jobIds"] == [job] and outs["count"] == 1
    assert isinstance(outs["jobStatuses"], Unknown) and isinstance(outs["results"], Unknown)
    assert start_counts(admin, [job]) == {job: 0}


def test_create_records_pulumi_names_down_to_each_result_and_keeps_a_secret_input_secret(
        plugin: InProcessPlugin, admin: EmulatorAdmin) -> None:
    job = new_jobs(admin)[0]
    admin.add_fault("batch-starting", "drop_after")
    made = create(plugin, {"jobIds": secret([job]), "wait": "incremental"})
    assert made.id.startswith("drsbatch-")
    outs = plain(made.properties)
    assert outs["jobIds"] == secret([job])
    assert outs["jobStatuses"] == {job: RUNNING} and outs["count"] == 1
    assert set(outs["results"][0]) == {"id", "status", "errorMsg"}  # the lost answer, said in errorMsg
    assert start_counts(admin, [job]) == {job: 1}


def test_diff_names_the_changed_inputs_and_the_drift_for_the_detailed_diff(plugin: InProcessPlugin,
                                                                        admin: EmulatorAdmin) -> None:
    kept, added = new_jobs(admin, 2, status=RUNNING)
    recorded = {"jobIds": [kept], "jobStatuses": {kept: RUNNING}, "results": [], "count": 1.0}
    same = plugin.stub.Diff(provider_pb2.DiffRequest(urn=URN, id="x", olds=struct(recorded),
                                                     news=struct({"jobIds": [kept]})))
    assert same.changes == provider_pb2.DiffResponse.DIFF_NONE
    changed = plugin.stub.Diff(provider_pb2.DiffRequest(
        urn=URN, id="x", olds=struct(recorded),
        news=struct({"jobIds": [kept, added], "stopOnDelete": True, "drift": {kept: "PAUSING"}})))
    assert changed.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert list(changed.diffs) == ["jobIds", "stopOnDelete", "drift"]
    assert set(changed.detailedDiff) == {"jobIds", "stopOnDelete", "drift"} and list(changed.replaces) == []


def test_provider_settings_are_checked_by_name_and_a_change_never_replaces_the_provider(
        plugin: InProcessPlugin) -> None:
    checked = plugin.stub.CheckConfig(provider_pb2.CheckRequest(urn="urn:p", olds=struct({}), news=struct(
        {"endpoint": "ftp://nowhere", "version": "0.3.0"})))
    assert [(f.property, "is not an http(s) URL" in f.reason) for f in checked.failures] == [("endpoint", True)]
    typo = plugin.stub.CheckConfig(provider_pb2.CheckRequest(urn="urn:p", news=struct({"acessKey": "x"})))
    assert [f.property for f in typo.failures] == ["acessKey"]

    diff = plugin.stub.DiffConfig(provider_pb2.DiffRequest(
        urn="urn:p", olds=struct({"endpoint": "https://a.example", "secretKey": secret("one")}),
        news=struct({"endpoint": "https://b.example", "secretKey": secret("two")})))
    assert diff.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert sorted(diff.diffs) == ["endpoint", "secretKey"] and list(diff.replaces) == []


def test_a_wait_shows_on_the_row_and_one_kept_line_at_its_start_and_end(
        plugin: InProcessPlugin, admin: EmulatorAdmin, engine: RecordingEngine) -> None:
    admin.settings(reads_per_step=3)
    job = new_jobs(admin)[0]
    create(plugin, {"jobIds": [job], "wait": "incremental"})
    kept = [line for line in engine.lines if not line.ephemeral]
    assert [line.urn for line in kept] == [URN, URN]
    assert kept[0].message.startswith("waiting up to ") and "0/1 job(s) incremental" in kept[0].message
    assert kept[1].message.startswith("all 1 job(s) incremental after ")
    live = engine.ephemeral()
    assert len(live) >= 2 and all(line.urn == URN for line in engine.lines if line.ephemeral)
    assert live[-1] == ""  # the row's status is cleared once the wait is over


def test_cancel_ends_a_wait_and_nothing_more_is_sent(plugin: InProcessPlugin, admin: EmulatorAdmin) -> None:
    admin.settings(hold_statuses=["STARTJOBING"])
    job = new_jobs(admin)[0]
    thread, out = in_thread(create, plugin, {"jobIds": [job]})
    _wait_until(lambda: calls(admin, "batch-starting"))
    plugin.stub.Cancel(provider_pb2.google_dot_protobuf_dot_empty__pb2.Empty())
    thread.join(10)
    assert isinstance(out.get("error"), grpc.RpcError)
    assert out["error"].details() == (
        "the engine cancelled the operation while it waited: nothing more was sent to DRS. Run `pulumi up` again: "
        "jobs already started are found, not started twice.")
    count = len(admin.requests_log())
    time.sleep(0.5)  # ten poll intervals of this plugin
    assert len(admin.requests_log()) == count
    assert start_counts(admin, [job]) == {job: 1}


def test_a_plugin_whose_engine_is_gone_exits_and_sends_nothing_more(
        process: NativePlugin, admin: EmulatorAdmin, engine: RecordingEngine) -> None:
    admin.settings(hold_statuses=["STARTJOBING"])
    job = new_jobs(admin)[0]
    in_thread(create, process, {"jobIds": [job]})
    _wait_until(lambda: calls(admin, "batch-status"))
    engine.stop()
    assert process.exited_within(5.0) == 75
    count = len(admin.requests_log())
    admin.settings(hold_statuses=[])
    admin.set_status(job, "PAUSING")  # what a live converge loop would resume
    time.sleep(1.0)
    assert len(admin.requests_log()) == count
    assert "the engine that started this provider is gone" in process.proc.stderr.read().decode()  # type: ignore[union-attr]


def _wait_until(condition: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not hold in time")
        time.sleep(0.02)


def test_an_import_reads_the_jobs_its_id_names_and_fails_naming_one_drs_does_not_know(
        plugin: InProcessPlugin, admin: EmulatorAdmin) -> None:
    running = new_jobs(admin, status=RUNNING)[0]
    ghost = "77777777-0000-4000-8000-0000000jb101"
    read = plugin.stub.Read(provider_pb2.ReadRequest(id=running, urn=URN))
    assert plain(read.properties)["jobStatuses"] == {running: RUNNING}
    assert plain(read.inputs) == {"jobIds": [running]}
    with pytest.raises(grpc.RpcError) as err:
        plugin.stub.Read(provider_pb2.ReadRequest(id=f"{running},{ghost}", urn=URN))
    assert f"DRS knows no job {ghost} in this project" in err.value.details()
    assert start_counts(admin, [running]) == {running: 0}
