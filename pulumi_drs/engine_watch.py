"""A provider process whose engine died stops acting on DRS at once: it exits.

When the `pulumi` CLI is killed (SIGKILL of its process group, as a CI runner's timeout does), the
provider processes it started live on, re-parented to init; a converge loop in one of them would go on
polling, starting, resuming and retrying for up to its timeout, beside the operator's recovery
`pulumi up` acting on the same jobs. So both front doors watch the engine that started them: every
`INTERVAL_SECONDS` a daemon thread opens (and closes) a TCP connection to the engine's gRPC address,
and, for a plugin the CLI started itself, checks that its parent process is still the one that
started it. A refused connection (nobody listens there any more) or a new parent means the engine is
gone: the process exits at once with `os._exit`, so nothing more is sent to DRS and no cleanup code
runs. What it had done is in DRS, where a recovery `refresh` and `up` find it.

A connection that merely times out (a loaded machine) is not taken as death; only a refusal is.
"""

from __future__ import annotations

import os
import re
import socket
import sys
import threading
from collections.abc import Callable, Sequence

INTERVAL_SECONDS = 1.0
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


def engine_gone(address: str, parent_pid: int | None = None) -> str | None:
    """Why the engine is gone, or None while it is there."""
    if parent_pid is not None and os.getppid() != parent_pid:
        return f"the parent process {parent_pid} that started this provider exited"
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT_SECONDS):
            return None
    except ConnectionRefusedError:
        return f"nothing listens at the engine's address {address} any more"
    except OSError:
        return None  # a timeout or a passing error: not proof


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

    def run() -> None:
        stop = threading.Event()
        while not stop.wait(interval):
            why = engine_gone(address, parent_pid)
            if why is not None:
                print(f"pulumi-drs: the engine that started this provider is gone ({why}): exiting without "
                      "sending anything more to DRS", file=sys.stderr, flush=True)
                exit(EXIT_CODE)
                return

    thread = threading.Thread(target=run, name="pulumi-drs-engine-watch", daemon=True)
    thread.start()
    return thread


def watch_dynamic_provider() -> threading.Thread | None:
    """In a `python -m pulumi.dynamic` process (the engine passes its address as the last argument; the
    parent is the launcher script, which outlives the engine, so only the address is watched)."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if getattr(spec, "name", None) != "pulumi.dynamic.__main__":
        return None
    return watch(engine_address(sys.argv[1:]))
