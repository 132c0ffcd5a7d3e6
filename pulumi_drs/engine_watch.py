"""A provider process whose engine died stops acting on DRS at once: it exits.

When the `pulumi` CLI is killed (SIGKILL of its process group, as a CI runner's timeout does), the
provider processes it started live on, re-parented to init; a converge loop in one of them would go on
polling, starting, resuming and retrying for up to its timeout, beside the operator's recovery
`pulumi up` acting on the same jobs. So both front doors watch the engine that started them, from a
daemon thread: it holds a TCP connection to the engine's gRPC address open and waits on it, so the
kernel's closing of the engine's sockets wakes it at once; it then tries to connect again, and a
refusal (nobody listens there any more) means the engine is gone. A plugin the CLI started itself
also checks, every `INTERVAL_SECONDS`, that its parent is still the process that started it. When the
engine is gone the process exits with `os._exit`: nothing more is sent to DRS and no cleanup code
runs. What it had done is in DRS, where a recovery `refresh` and `up` find it.

A connection that times out or is closed by a live engine (a loaded machine, an idle connection the
server drops) is not taken as death: only a refused connection, or a new parent, is.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import sys
import threading
import time
from collections.abc import Callable, Sequence

INTERVAL_SECONDS = 0.25
CONNECT_TIMEOUT_SECONDS = 2.0
EXIT_CODE = 75
"""What the process exits with when its engine is gone (EX_TEMPFAIL: nothing to do with the work)."""
_ADDRESS_RE = re.compile(r"^(?:\[[0-9a-fA-F:]+\]|[A-Za-z0-9.\-]+):\d{1,5}$")
_watched: set[str] = set()
_lock = threading.Lock()


def engine_address(argv: Sequence[str]) -> str | None:
    """The engine's address a plugin was started with: its last argument that is not a flag."""
    args = [a for a in argv if not a.startswith("-")]
    return args[-1] if args and _ADDRESS_RE.match(args[-1]) else None


def watch(address: str | None, *, parent_pid: int | None = None, interval: float = INTERVAL_SECONDS,
          exit: Callable[[int], object] = os._exit) -> threading.Thread | None:
    """Watch the engine at `address` from a daemon thread (once per address and process); `exit` the
    process when it is gone."""
    if not address:
        return None
    with _lock:
        if address in _watched:
            return None
        _watched.add(address)
    thread = threading.Thread(target=_Watch(address, parent_pid, interval, exit).run, name="pulumi-drs-engine-watch",
                              daemon=True)
    thread.start()
    return thread


class _Watch:
    def __init__(self, address: str, parent_pid: int | None, interval: float, exit: Callable[[int], object]) -> None:
        host, _, port = address.rpartition(":")
        self.address, self.target = address, (host.strip("[]"), int(port))
        self.parent_pid, self.interval, self.exit = parent_pid, interval, exit
        self.sock: socket.socket | None = None

    def run(self) -> None:
        while True:
            why = self._parent_gone() or self._wait_on_engine()
            if why is not None:
                with contextlib.suppress(OSError):  # stderr was the dead engine's pipe: a broken pipe, likely
                    print(f"pulumi-drs: the engine that started this provider is gone ({why}): exiting without "
                          "sending anything more to DRS", file=sys.stderr, flush=True)
                self.exit(EXIT_CODE)
                return

    def _parent_gone(self) -> str | None:
        if self.parent_pid is not None and os.getppid() != self.parent_pid:
            return f"the process {self.parent_pid} that started this provider exited"
        return None

    def _wait_on_engine(self) -> str | None:
        """Wait up to `interval` on the connection to the engine; why it is gone, or None."""
        if self.sock is None:
            try:
                self.sock = socket.create_connection(self.target, timeout=CONNECT_TIMEOUT_SECONDS)
            except ConnectionRefusedError:
                return f"nothing listens at the engine's address {self.address} any more"
            except OSError:
                time.sleep(self.interval)  # a timeout or a passing error: not proof
                return None
            self.sock.settimeout(self.interval)
        try:
            if self.sock.recv(4096):
                return None  # the engine's side of a connection that never speaks HTTP/2: ignored
        except TimeoutError:
            return None
        except OSError:
            pass
        self.sock.close()  # closed by the engine's side: is anyone still listening?
        self.sock = None
        return None


def watch_dynamic_provider() -> threading.Thread | None:
    """In a `python -m pulumi.dynamic` process (the engine passes its address as the last argument; the
    parent is the launcher script, which outlives the engine, so only the address is watched)."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if getattr(spec, "name", None) != "pulumi.dynamic.__main__":
        return None
    return watch(engine_address(sys.argv[1:]))
