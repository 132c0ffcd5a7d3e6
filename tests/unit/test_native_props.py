"""The native plugin's edge: property bags between the engine's wire form and lifecycle's names."""

from __future__ import annotations

from google.protobuf import struct_pb2
from pulumi.output import Unknown
from pulumi.runtime import rpc

from pulumi_drs.native.props import Bag, from_struct, pulumi_name, pulumi_names, to_struct

JOB = "140b5236-88ad-43c8-811c-1268453jb101"


def wire(props: dict[str, object]) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    out.update(props)
    return out


def plain(struct: struct_pb2.Struct) -> dict[str, object]:
    return dict(rpc.deserialize_properties(struct, keep_unknowns=True))


def test_no_struct_is_an_empty_bag() -> None:
    assert from_struct(None) == Bag({})
    assert from_struct(None).props == {}


def test_names_become_snake_case_down_to_each_result_but_never_job_ids_and_other_keys_stay() -> None:
    bag = from_struct(wire({
        "jobIds": [JOB], "stopOnDelete": True, "jobStatuses": {JOB: "PAUSING"}, "drift": {JOB: "PAUSING"},
        "results": [{"id": JOB, "status": "failed", "errorCode": "DRS.M00304", "errorMsg": "no"}, "odd"],
        "somethingElse": 1.0}))
    assert bag.props == {
        "job_ids": [JOB], "stop_on_delete": True, "job_statuses": {JOB: "PAUSING"}, "drift": {JOB: "PAUSING"},
        "results": [{"id": JOB, "status": "failed", "error_code": "DRS.M00304", "error_msg": "no"}, "odd"],
        "somethingElse": 1.0}
    assert bag.secret_keys == frozenset()


def test_results_that_are_not_a_list_pass_as_they_are_both_ways() -> None:
    assert from_struct(wire({"results": "x"})).props == {"results": "x"}
    assert plain(to_struct({"results": "x"})) == {"results": "x"}


def test_unknown_values_stay_unknown_in_and_go_back_as_the_engine_sentinel() -> None:
    bag = from_struct(wire({"jobIds": [JOB, rpc.UNKNOWN], "wait": rpc.UNKNOWN}))
    assert isinstance(bag.props["wait"], Unknown) and isinstance(bag.props["job_ids"][1], Unknown)
    back = to_struct(bag.props)
    assert back["wait"] == rpc.UNKNOWN and list(back["jobIds"]) == [JOB, rpc.UNKNOWN]


def test_secrets_are_unwrapped_in_remembered_and_wrapped_again_out() -> None:
    bag = from_struct(wire({"jobIds": rpc.wrap_rpc_secret([JOB]), "wait": "running"}))
    assert bag.props == {"job_ids": [JOB], "wait": "running"} and bag.secret_keys == {"job_ids"}
    out = plain(to_struct({**bag.props, "count": 1}, bag.secret_keys))
    assert out == {"jobIds": rpc.wrap_rpc_secret([JOB]), "wait": "running", "count": 1.0}


def test_out_names_become_camel_case_none_values_are_left_out_and_the_rest_still_written() -> None:
    out = plain(to_struct({"start_time": None, "job_statuses": {JOB: "X"}, "other_key": "kept",
                           "results": [{"id": JOB, "status": "success", "error_msg": "m"}, 3]}))
    assert out == {"jobStatuses": {JOB: "X"}, "other_key": "kept",
                   "results": [{"id": JOB, "status": "success", "errorMsg": "m"}, 3.0]}


def test_a_name_the_schema_does_not_know_is_kept_as_it_is() -> None:
    assert pulumi_name("stop_on_delete") == "stopOnDelete"
    assert pulumi_name("job_ids") == "jobIds"
    assert pulumi_name("nothing_known") == "nothing_known"
    assert pulumi_names("wait and timeout") == "wait and timeout"


def test_a_result_field_the_schema_does_not_know_passes_as_it_is_both_ways() -> None:
    """A state written by a newer version, or an item DRS added a field to, loses nothing on the way through."""
    assert from_struct(wire({"results": [{"id": JOB, "queueTime": "t"}]})).props == {
        "results": [{"id": JOB, "queueTime": "t"}]}
    assert plain(to_struct({"results": [{"id": JOB, "queue_time": "t"}]})) == {
        "results": [{"id": JOB, "queue_time": "t"}]}


def test_only_results_items_are_renamed() -> None:
    assert plain(to_struct({"other": [{"error_code": "x"}]})) == {"other": [{"error_code": "x"}]}
    assert from_struct(wire({"other": [{"errorCode": "x"}]})).props == {"other": [{"errorCode": "x"}]}
