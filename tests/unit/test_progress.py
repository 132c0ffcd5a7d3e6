"""Progress lines of a wait: when each comes, exactly at the boundaries (5 s quiet, 30 s heartbeat)."""

from __future__ import annotations

import io

from pulumi_drs.progress import HEARTBEAT_SECONDS, QUIET_SECONDS, ProgressLines, duration, line, shape, summary


class Rounds:
    def __init__(self) -> None:
        self.now = 0.0
        self.out = io.StringIO()
        self.report = ProgressLines("orders", "running", out=self.out, clock=lambda: self.now)

    def round(self, at: float, statuses: dict[str, str], pending: list[str]) -> list[str]:
        self.now = at
        before = len(self.out.getvalue().splitlines())
        self.report.round(statuses, pending, at, 60 - at)
        return self.out.getvalue().splitlines()[before:]


def test_the_first_round_says_where_the_wait_begins() -> None:
    rounds = Rounds()
    assert rounds.round(0, {"a": "STARTJOBING"}, ["a"]) == [
        "pulumi-drs: orders: 0/1 job(s) running; waiting for 1 STARTJOBING (0 s elapsed, 1 min 00 s left)"]


def test_a_change_is_said_from_the_end_of_the_quiet_time_on() -> None:
    rounds = Rounds()
    rounds.round(0, {"a": "STARTJOBING", "b": "STARTJOBING"}, ["a", "b"])
    assert rounds.round(QUIET_SECONDS - 0.5, {"a": "FULL_TRANSFER_STARTED", "b": "STARTJOBING"}, ["b"]) == []
    assert rounds.round(QUIET_SECONDS, {"a": "FULL_TRANSFER_STARTED", "b": "STARTJOBING"}, ["b"]) == []  # same
    assert len(rounds.round(QUIET_SECONDS, {"a": "x", "b": "PAUSING"}, ["b"])) == 1  # changed, at 5 s exactly


def test_an_unchanged_wait_is_said_again_every_30_seconds_exactly() -> None:
    rounds = Rounds()
    statuses = {"a": "STARTJOBING"}
    rounds.round(0, statuses, ["a"])
    assert rounds.round(HEARTBEAT_SECONDS - 0.1, statuses, ["a"]) == []
    assert len(rounds.round(HEARTBEAT_SECONDS, statuses, ["a"])) == 1
    assert rounds.round(HEARTBEAT_SECONDS + 1, statuses, ["a"]) == []
    assert len(rounds.round(2 * HEARTBEAT_SECONDS, statuses, ["a"])) == 1


def test_the_end_of_a_wait_longer_than_the_quiet_time_is_said() -> None:
    rounds = Rounds()
    rounds.round(0, {"a": "STARTJOBING"}, ["a"])
    assert rounds.round(QUIET_SECONDS, {"a": "FULL_TRANSFER_STARTED"}, []) == [
        "pulumi-drs: orders: 1/1 job(s) running (5 s elapsed, 55 s left)"]


def test_a_wait_with_nothing_pending_from_its_start_says_its_end_from_the_quiet_time_exactly() -> None:
    """A wait that goes on with every job there (a retry's grace time) still says when it ends."""
    rounds = Rounds()
    rounds.round(0, {"a": "FULL_TRANSFER_STARTED"}, [])
    assert rounds.round(QUIET_SECONDS - 0.5, {"a": "FULL_TRANSFER_STARTED"}, []) == []
    assert rounds.round(QUIET_SECONDS, {"a": "FULL_TRANSFER_STARTED"}, []) == [
        "pulumi-drs: orders: 1/1 job(s) running (5 s elapsed, 55 s left)"]


def test_a_short_wait_says_one_line() -> None:
    rounds = Rounds()
    rounds.round(0, {"a": "STARTJOBING"}, ["a"])
    assert rounds.round(1, {"a": "FULL_TRANSFER_STARTED"}, []) == []


def test_the_pieces_of_a_line() -> None:
    statuses = {"a": "PAUSING", "b": "STARTJOBING", "c": "STARTJOBING", "d": "X"}
    assert shape(statuses, ["b", "a", "c"]) == (("PAUSING", 1), ("STARTJOBING", 2))
    assert summary("running", 4, (("PAUSING", 1), ("STARTJOBING", 2)), 90, 3600 * 2 + 61) == (
        "1/4 job(s) running; waiting for 1 PAUSING, 2 STARTJOBING (1 min 30 s elapsed, 2 h 01 min left)")
    assert line("b", "released", 1, (), 0, -5) == "pulumi-drs: b: 1/1 job(s) released (0 s elapsed, 0 s left)"
    assert [duration(s) for s in (0, 59.9, 60, 3599, 3600)] == ["0 s", "59 s", "1 min 00 s", "59 min 59 s",
                                                                 "1 h 00 min"]
