"""engine_watch: a provider process exits when the engine that started it is gone, and only then."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from pulumi_drs import engine_watch

LISTENER = ("import socket, time; s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(); "
            "print(s.getsockname()[1], flush=True); conns = []\n"
            "while True:\n    conns.append(s.accept()[0])")


@pytest.fixture
def engine() -> Iterator[tuple[subprocess.Popen[str], str]]:
    """A process listening where an engine would, and its address."""
    proc = subprocess.Popen([sys.executable, "-c", LISTENER], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    yield proc, f"127.0.0.1:{proc.stdout.readline().strip()}"
    proc.kill()
    proc.wait(10)


class Exits:
    def __init__(self) -> None:
        self.codes: list[int] = []
        self.done = threading.Event()

    def __call__(self, code: int) -> None:
        self.codes.append(code)
        self.done.set()


def test_the_engine_address_is_the_last_argument_that_is_not_a_flag() -> None:
    assert engine_watch.engine_address(["--logtostderr", "-v=9", "127.0.0.1:43567"]) == "127.0.0.1:43567"
    assert engine_watch.engine_address(["127.0.0.1:1", "--tracing", "x"]) is None
    assert engine_watch.engine_address(["tests/x.py::test_y"]) is None
    assert engine_watch.engine_address([]) is None
    assert engine_watch.engine_address(["[::1]:9000"]) == "[::1]:9000"


def test_a_watched_engine_that_dies_makes_the_process_exit_and_a_live_one_does_not(
        engine: tuple[subprocess.Popen[str], str]) -> None:
    proc, address = engine
    exits = Exits()
    thread = engine_watch.watch(address, interval=0.05, exit=exits)
    assert thread is not None and not exits.done.wait(0.5)
    assert engine_watch.watch(address, interval=0.05, exit=exits) is None  # once per address

    proc.kill()

    assert exits.done.wait(5) and exits.codes == [engine_watch.EXIT_CODE]


def test_a_new_parent_is_a_dead_engine_even_while_its_address_answers(
        engine: tuple[subprocess.Popen[str], str]) -> None:
    _proc, address = engine
    exits = Exits()
    engine_watch.watch(address, parent_pid=os.getppid() + 1, interval=0.05, exit=exits)
    assert exits.done.wait(5) and exits.codes == [engine_watch.EXIT_CODE]


def test_no_address_watches_nothing() -> None:
    assert engine_watch.watch(None) is None
    assert engine_watch.watch_dynamic_provider() is None  # not a `python -m pulumi.dynamic` process
