"""The DRS knowledge table against the official SDK's own list of statuses, and its rules for unknowns."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pulumi_drs.semantics import (
    CODES,
    NOT_FOUND,
    STATUSES,
    Kind,
    Meaning,
    Repair,
    explain,
    means,
    sentence,
    status_fact,
)


def sdk_statuses() -> set[str]:
    """The statuses huaweicloudsdkdrs documents for QueryJobStatusResp.status (its docstring lists them)."""
    from huaweicloudsdkdrs.v3.model import query_job_status_resp

    text = Path(query_job_status_resp.__file__).read_text(encoding="utf-8")
    doc = text[text.index(":param status:"):].split(":param", 2)[1]
    return set(re.findall(r"- ([A-Z_]+)\uff1a", doc))  # the SDK's docstring uses a full-width colon


def test_every_status_the_sdk_documents_is_in_the_table() -> None:
    documented = sdk_statuses()
    assert len(documented) >= 29  # the SDK 3.1.219 enum; a parse that finds nothing must fail
    assert documented - set(STATUSES) == set()


def test_every_entry_names_a_source_and_every_dead_end_says_what_to_do() -> None:
    for name, fact in STATUSES.items():
        assert fact.name == name and fact.source, name
        assert (fact.repair is Repair.CANNOT) == bool(fact.advice), name
    for code, code_fact in CODES.items():
        assert code_fact.code == code and code_fact.source and code_fact.advice, code


@pytest.mark.parametrize(("status", "kind", "repair"), [
    ("CONFIGURATION", Kind.CONFIGURED, Repair.START),
    ("START_JOB_FAILED", Kind.FAILED, Repair.CANNOT),
    ("PAUSING", Kind.PAUSED, Repair.RESUME),
    ("PAUSEING", Kind.PAUSED, Repair.RESUME),
    ("INCRE_TRANSFER_FAILED", Kind.TRANSFER_FAILED, Repair.RETRY),
    ("CHILD_TRANSFER_FAILED", Kind.TRANSFER_FAILED, Repair.RETRY_RE_EDIT),
    ("REBUILD_NODE_STARTED", Kind.MAINTENANCE, Repair.NONE),
    ("NODE_UPGRADE_COMPLETE", Kind.MAINTENANCE, Repair.NONE),
    ("REBUILD_NODE_FAILED", Kind.FAILED, Repair.CANNOT),
    ("CREATING", Kind.BUSY, Repair.WAIT),
    (NOT_FOUND, Kind.GONE, Repair.CANNOT),
    ("SOMETHING_NEW_FAILED", Kind.FAILED, Repair.CANNOT),
    ("SOMETHING_NEW", Kind.UNKNOWN, Repair.WAIT),
])
def test_status_facts(status: str, kind: Kind, repair: Repair) -> None:
    fact = status_fact(status)
    assert (fact.kind, fact.repair) == (kind, repair)


def test_an_unknown_failure_status_is_named_in_its_advice() -> None:
    assert "SOMETHING_NEW_FAILED" in status_fact("SOMETHING_NEW_FAILED").advice


def test_explain_puts_the_code_the_message_and_the_advice_together() -> None:
    text = explain("DRS.M01504", "Another operation is running.")
    assert text == f"DRS.M01504: Another operation is running. {CODES['DRS.M01504'].advice[0].upper()}" \
                   f"{CODES['DRS.M01504'].advice[1:]}."
    assert explain("DRS.X99999", "odd") == "DRS.X99999: odd"
    assert explain(None, None) == "no message"


def test_explain_without_a_message_gives_what_the_table_says_of_the_code() -> None:
    fact = CODES["DRS.M01504"]
    assert explain("DRS.M01504", None) == f"DRS.M01504: {fact.summary.rstrip('.')}. " \
                                          f"{fact.advice[0].upper()}{fact.advice[1:]}."


def test_explain_keeps_a_message_ending_in_a_capital_x() -> None:
    text = explain("DRS.X99999", "too many jobs for instance type X.")
    assert text == "DRS.X99999: too many jobs for instance type X"


def test_a_sentence_starts_with_a_capital_and_ends_with_one_full_stop() -> None:
    assert sentence("resume it in the console") == "Resume it in the console."
    assert sentence("resume it in the console.") == "Resume it in the console."


def test_means() -> None:
    assert means("DRS.M05004", Meaning.NOT_FOUND) and means("DRS.M00289", Meaning.NOT_FOUND)
    assert not means("DRS.M01504", Meaning.NOT_FOUND) and not means(None, Meaning.NOT_FOUND)


def test_the_semantics_page_lists_every_status_and_code_of_the_table() -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "drs-semantics.md").read_text(encoding="utf-8")
    for name, fact in STATUSES.items():
        assert f"| `{name}` | {fact.kind.value} |" in page, name
    for code, code_fact in CODES.items():
        assert f"| `{code}` | {code_fact.meaning.value} |" in page, code
