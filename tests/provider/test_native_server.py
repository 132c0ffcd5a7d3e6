"""The native plugin's servicer, request by request, served in this process against the emulator: what it
promises the engine (handshake and configure flags, the schema, settings checks and diffs), and how each
resource method passes the URN, the timeout, secrets and cancellation through to the lifecycle."""

from __future__ import annotations

import json
import re
from typing import Any

import grpc
import pytest
from google.protobuf import empty_pb2
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2

from drs_testing.e2e import AK, PROJECT_ID, SK, start_counts
from drs_testing.native_plugin import URN, InProcessPlugin, RecordingEngine, plain, secret, struct
from drs_testing.provider_steps import new_jobs
from pulumi_drs import __version__, lifecycle
from pulumi_drs.emulator import EmulatorAdmin, EmulatorProcess
from pulumi_drs.native.schema import schema
from pulumi_drs.native.server import CONFIG_NAMES
from pulumi_drs.settings import ENV_VARS

RUNNING = "INCRE_TRANSFER_STARTED"
EMPTY = empty_pb2.Empty()


def recorded(job_ids: list[str], status: str = RUNNING, **inputs: Any) -> dict[str, Any]:
    return {"jobIds": job_ids, **inputs, "results": [], "count": float(len(job_ids)),
            "jobStatuses": dict.fromkeys(job_ids, status)}


def test_the_handshake_and_configure_accept_secrets_and_resources_and_support_previews(
        plugin: InProcessPlugin, engine: RecordingEngine) -> None:
    shake = plugin.stub.Handshake(provider_pb2.ProviderHandshakeRequest(engine_address=engine.address))
    assert (shake.accept_secrets, shake.accept_resources) == (True, True)
    done = plugin.stub.Configure(provider_pb2.ConfigureRequest(args=struct({})))
    assert (done.acceptSecrets, done.acceptResources, done.supportsPreview) == (True, True, True)
    assert plugin.stub.GetPluginInfo(EMPTY).version == __version__
    assert json.loads(plugin.stub.GetSchema(provider_pb2.GetSchemaRequest()).schema) == schema()


def test_check_config_names_an_unknown_setting_with_every_setting_it_takes_and_returns_the_inputs(
        plugin: InProcessPlugin) -> None:
    news = struct({"acessKey": "x", "secretKey": secret("s")})
    checked = plugin.stub.CheckConfig(provider_pb2.CheckRequest(urn="urn:p", news=news))
    assert [(f.property, f.reason) for f in checked.failures] == [
        ("acessKey", "is not a setting of the drs provider; it takes: " + ", ".join(sorted(CONFIG_NAMES)))]
    assert checked.inputs == news  # as given: secrets still wrapped
    fine = plugin.stub.CheckConfig(provider_pb2.CheckRequest(urn="urn:p", news=struct(
        {"region": "cn-north-4", "version": "0.3.0", "__internal": {"pluginDownloadURL": ""}})))
    assert list(fine.failures) == []  # the engine's own keys are not settings
    unknown = plugin.stub.CheckConfig(provider_pb2.CheckRequest(
        urn="urn:p", news=struct({"endpoint": rpc.UNKNOWN, "region": "not a region"})))
    assert list(unknown.failures) == []  # not checked until every value is known


def test_check_config_names_the_setting_at_fault_and_the_region_for_an_endpoint_it_cannot_find(
        plugin: InProcessPlugin, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (env for names in ENV_VARS.values() for env in names):
        monkeypatch.delenv(name, raising=False)

    def failures(news: dict[str, Any]) -> list[tuple[str, str]]:
        checked = plugin.stub.CheckConfig(provider_pb2.CheckRequest(urn="urn:p", news=struct(news)))
        return [(f.property, f.reason) for f in checked.failures]

    [(where, reason)] = failures({"region": "eu-nowhere-1"})
    assert where == "region" and reason.startswith("DRS is not known in region 'eu-nowhere-1'")
    [(where, reason)] = failures({"region": "cn-north-4", "projectId": "not a project"})
    assert where == "projectId" and "projectId" in reason


def test_diff_config_counts_a_removed_setting_and_one_not_yet_known_as_changes(plugin: InProcessPlugin) -> None:
    def diff(olds: dict[str, Any], news: dict[str, Any]) -> Any:
        return plugin.stub.DiffConfig(provider_pb2.DiffRequest(urn="urn:p", olds=struct(olds), news=struct(news)))

    same = diff({"region": "cn-north-4"}, {"region": "cn-north-4", "version": "0.3.0"})
    assert same.changes == provider_pb2.DiffResponse.DIFF_NONE and list(same.diffs) == []
    removed = diff({"region": "cn-north-4", "endpoint": "https://e"}, {"region": "cn-north-4"})
    assert list(removed.diffs) == ["endpoint"] and removed.hasDetailedDiff
    assert removed.detailedDiff["endpoint"].kind == provider_pb2.PropertyDiff.UPDATE
    added = diff({"region": "cn-north-4"}, {"region": "cn-north-4", "endpoint": "https://e"})
    assert list(added.diffs) == ["endpoint"]
    pending = diff({"endpoint": "https://e"}, {"endpoint": rpc.UNKNOWN})
    assert list(pending.diffs) == ["endpoint"] and list(pending.replaces) == []


def test_configure_reads_the_engine_variables_too(plugin: InProcessPlugin, emulator: EmulatorProcess,
                                                  admin: EmulatorAdmin) -> None:
    """A default provider's settings as the engine also passes them: `drs:config:<key>` variables."""
    plugin.stub.Configure(provider_pb2.ConfigureRequest(variables={
        "drs:config:endpoint": emulator.url, "drs:config:projectId": PROJECT_ID, "drs:config:accessKey": AK,
        "drs:config:secretKey": SK}, args=struct({})))
    job = new_jobs(admin)[0]
    checked = plugin.stub.Check(provider_pb2.CheckRequest(urn=URN, news=struct({"jobIds": [job]})))
    assert list(checked.failures) == [] and admin.requests_log()  # DRS was asked, with these settings


def test_a_provider_configured_with_values_not_yet_known_asks_drs_nothing_in_a_preview(
        plugin: InProcessPlugin, admin: EmulatorAdmin, engine: RecordingEngine) -> None:
    job = new_jobs(admin, status=RUNNING)[0]
    plugin.stub.Configure(provider_pb2.ConfigureRequest(args=struct({"endpoint": rpc.UNKNOWN})))
    admin.clear_requests()
    checked = plugin.stub.Check(provider_pb2.CheckRequest(urn=URN, olds=struct({"jobIds": [job]}),
                                                          news=struct({"jobIds": [job]})))
    assert list(checked.failures) == [] and admin.requests_log() == []
    diff = plugin.stub.Diff(provider_pb2.DiffRequest(urn=URN, id="x", olds=struct(recorded([job])),
                                                     news=checked.inputs))
    assert diff.changes == provider_pb2.DiffResponse.DIFF_NONE
    assert engine.kept() == ["DRS was not read in this preview: drift is shown as recorded by the last update or "
                             "refresh"]
    assert [line.urn for line in engine.lines] == [URN]


def test_check_compares_with_the_recorded_inputs_and_keeps_secret_inputs_secret(
        plugin: InProcessPlugin, admin: EmulatorAdmin) -> None:
    job = new_jobs(admin, status="PAUSING")[0]
    first = plugin.stub.Check(provider_pb2.CheckRequest(urn=URN, news=struct({"jobIds": secret([job])})))
    assert [f.property for f in first.failures] == []  # a job new to the batch, paused: up resumes it
    again = plugin.stub.Check(provider_pb2.CheckRequest(urn=URN, olds=struct({"jobIds": [job]}),
                                                        news=struct({"jobIds": secret([job])})))
    checked = plain(again.inputs)
    assert checked["jobIds"] == secret([job]) and checked["drift"] == {job: "PAUSING"}


def test_diff_of_unknown_inputs_is_unknown(plugin: InProcessPlugin, admin: EmulatorAdmin) -> None:
    job = new_jobs(admin)[0]
    diff = plugin.stub.Diff(provider_pb2.DiffRequest(urn=URN, id="x", olds=struct(recorded([job])),
                                                     news=struct({"jobIds": [job, rpc.UNKNOWN]})))
    assert diff.changes == provider_pb2.DiffResponse.DIFF_UNKNOWN


def test_lines_name_the_batch_by_its_urn_in_pulumi_names(plugin: InProcessPlugin, admin: EmulatorAdmin,
                                                          engine: RecordingEngine) -> None:
    kept, dropped = new_jobs(admin, 2, status=RUNNING)
    updated = plugin.stub.Update(provider_pb2.UpdateRequest(
        urn=URN, id="x", olds=struct(recorded([kept, dropped])), news=struct({"jobIds": [kept]})))
    assert plain(updated.properties)["jobStatuses"] == {kept: RUNNING}
    assert [(line.message, line.urn) for line in engine.lines] == [
        (f"1 job(s) dropped from the batch and left running: {dropped}", URN)]
    plugin.stub.Delete(provider_pb2.DeleteRequest(urn=URN, id="x", properties=struct(recorded([kept]))))
    assert engine.kept()[-1] == ("removed the batch from the stack; its 1 DRS job(s) keep running (set "
                                 "stopOnDelete: true to terminate them on delete)")
    assert engine.lines[-1].urn == URN


def test_a_preview_create_sends_nothing_and_keeps_secret_inputs_secret(plugin: InProcessPlugin,
                                                                       admin: EmulatorAdmin) -> None:
    job = new_jobs(admin)[0]
    admin.clear_requests()
    planned = plugin.stub.Create(provider_pb2.CreateRequest(urn=URN, properties=struct({"jobIds": secret([job])}),
                                                            preview=True))
    assert admin.requests_log() == [] and start_counts(admin, [job]) == {job: 0}
    assert plain(planned.properties)["jobIds"] == secret([job])


def test_a_preview_update_sends_nothing_and_keeps_secret_inputs_secret(plugin: InProcessPlugin,
                                                                       admin: EmulatorAdmin) -> None:
    job = new_jobs(admin, status="PAUSING")[0]
    admin.clear_requests()
    planned = plugin.stub.Update(provider_pb2.UpdateRequest(
        urn=URN, id="x", olds=struct(recorded([job])), news=struct({"jobIds": secret([job])}), preview=True))
    assert admin.requests_log() == []
    assert plain(planned.properties)["jobIds"] == secret([job]) and plain(planned.properties)["count"] == 1


def test_an_update_repairs_a_drifted_job_and_keeps_secret_inputs_secret(plugin: InProcessPlugin,
                                                                       admin: EmulatorAdmin) -> None:
    job = new_jobs(admin, status="PAUSING")[0]
    updated = plugin.stub.Update(provider_pb2.UpdateRequest(
        urn=URN, id="x", olds=struct(recorded([job])),
        news=struct({"jobIds": secret([job]), "wait": "accepted", "drift": {job: "PAUSING"}})))
    outs = plain(updated.properties)
    assert outs["jobIds"] == secret([job]) and outs["jobStatuses"][job] != "PAUSING"
    assert admin.get_job(job)["retry_count"] == 1


def test_the_engine_timeout_bounds_create_update_and_delete(plugin: InProcessPlugin, admin: EmulatorAdmin) -> None:
    admin.settings(hold_statuses=["STARTJOBING", "RELEASE_RESOURCE_STARTED", "PAUSING"])
    job = new_jobs(admin)[0]
    with pytest.raises(grpc.RpcError) as create:
        plugin.stub.Create(provider_pb2.CreateRequest(urn=URN, properties=struct({"jobIds": [job]}), timeout=1))
    assert re.search(r"timed out after 1 s waiting for 1 job\(s\) to be running", create.value.details())
    with pytest.raises(grpc.RpcError) as update:
        plugin.stub.Update(provider_pb2.UpdateRequest(urn=URN, id="x", olds=struct(recorded([job], "STARTJOBING")),
                                                      news=struct({"jobIds": [job], "drift": {job: "x"}}), timeout=1))
    assert "timed out after 1 s" in update.value.details()
    admin.set_status(job, RUNNING)
    with pytest.raises(grpc.RpcError) as delete:
        plugin.stub.Delete(provider_pb2.DeleteRequest(urn=URN, id="x", timeout=1,
                                                      properties=struct(recorded([job], stopOnDelete=True))))
    assert "timed out after 1 s waiting for 1 job(s) to be released" in delete.value.details()


def test_after_cancel_no_operation_begins_and_nothing_is_sent(plugin: InProcessPlugin, admin: EmulatorAdmin) -> None:
    job = new_jobs(admin)[0]
    plugin.stub.Cancel(EMPTY)
    admin.clear_requests()
    before = "the engine cancelled the operation before it began: nothing was sent to DRS"
    for call, request in (
            (plugin.stub.Create, provider_pb2.CreateRequest(urn=URN, properties=struct({"jobIds": [job]}))),
            (plugin.stub.Update, provider_pb2.UpdateRequest(urn=URN, id="x", olds=struct(recorded([job])),
                                                            news=struct({"jobIds": [job], "drift": {job: "x"}}))),
            (plugin.stub.Delete, provider_pb2.DeleteRequest(urn=URN, id="x",
                                                            properties=struct(recorded([job], stopOnDelete=True))))):
        with pytest.raises(grpc.RpcError) as err:
            call(request)
        assert err.value.details() == before
    assert admin.requests_log() == [] and start_counts(admin, [job]) == {job: 0}
    planned = plugin.stub.Create(provider_pb2.CreateRequest(urn=URN, properties=struct({"jobIds": [job]}),
                                                            preview=True))
    assert plain(planned.properties)["count"] == 1  # a preview still plans


def test_a_read_keeps_a_secret_input_secret_and_answers_with_the_id_it_was_given(
        plugin: InProcessPlugin, admin: EmulatorAdmin) -> None:
    job = new_jobs(admin, status=RUNNING)[0]
    read = plugin.stub.Read(provider_pb2.ReadRequest(id="drsbatch-1", urn=URN,
                                                     properties=struct(recorded([job]) | {"jobIds": secret([job])})))
    assert read.id == "drsbatch-1"
    assert plain(read.properties)["jobIds"] == secret([job]) and plain(read.inputs)["jobIds"] == secret([job])
    got = plugin.stub.Read(provider_pb2.ReadRequest(id=job, urn=URN, inputs=struct({"wait": "accepted"})))
    assert plain(got.inputs) == {"jobIds": [job], "wait": "accepted"}  # a `get`: the program's inputs kept


def test_an_unexpected_failure_keeps_its_traceback_without_a_secret(plugin: InProcessPlugin) -> None:
    with pytest.raises(grpc.RpcError) as err:
        plugin.stub.Create(provider_pb2.CreateRequest(urn=URN, properties=struct({"jobIds": "not a list",
                                                                                  "timeout": {"x": SK}})))
    assert err.value.code() == grpc.StatusCode.UNKNOWN
    assert "Traceback" in err.value.details() and SK not in err.value.details()


def test_a_check_line_goes_to_the_batchs_row(plugin: InProcessPlugin, admin: EmulatorAdmin,
                                             engine: RecordingEngine) -> None:
    [forward] = new_jobs(admin, status=RUNNING)
    backward = admin.create_jobs([{"forward_job_id": forward}])[0]["id"]
    checked = plugin.stub.Check(provider_pb2.CheckRequest(urn=URN, news=struct({"jobIds": [backward]})))
    assert list(checked.failures) == []
    [line] = engine.lines
    assert line.urn == URN and "set forwardJobIds so `pulumi up` waits" in line.message


STEP_REQUESTS = {
    "check": ("Check", provider_pb2.CheckRequest(urn=URN, news=struct({"jobIds": ["j1"]}))),
    "diff": ("Diff", provider_pb2.DiffRequest(urn=URN, id="x", olds=struct(recorded(["j1"])),
                                              news=struct({"jobIds": ["j1"]}))),
    "create": ("Create", provider_pb2.CreateRequest(urn=URN, properties=struct({"jobIds": ["j1"]}))),
    "read": ("Read", provider_pb2.ReadRequest(id="x", urn=URN, properties=struct(recorded(["j1"])))),
    "update": ("Update", provider_pb2.UpdateRequest(urn=URN, id="x", olds=struct(recorded(["j1"])),
                                                    news=struct({"jobIds": ["j1"]}))),
    "delete": ("Delete", provider_pb2.DeleteRequest(urn=URN, id="x", properties=struct(recorded(["j1"])))),
}


@pytest.mark.parametrize("step", sorted(STEP_REQUESTS))
def test_every_method_gives_the_engine_its_steps_failure_in_pulumi_names_without_a_secret(
        plugin: InProcessPlugin, monkeypatch: pytest.MonkeyPatch, step: str) -> None:
    method, request = STEP_REQUESTS[step]

    def refused(*_args: Any, **_kwargs: Any) -> Any:
        raise lifecycle.BatchError(f"job j1: DRS refused the stop_on_delete call signed with {SK}")

    monkeypatch.setattr(lifecycle, step, refused)
    with pytest.raises(grpc.RpcError) as ours:
        getattr(plugin.stub, method)(request)
    assert ours.value.code() == grpc.StatusCode.UNKNOWN
    assert ours.value.details().startswith("job j1: DRS refused the stopOnDelete call signed with ")
    assert SK not in ours.value.details() and "Traceback" not in ours.value.details()

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError(f"a bug holding {SK}")

    monkeypatch.setattr(lifecycle, step, broken)
    with pytest.raises(grpc.RpcError) as bug:
        getattr(plugin.stub, method)(request)
    assert "Traceback" in bug.value.details() and "RuntimeError: a bug holding" in bug.value.details()
    assert SK not in bug.value.details()
