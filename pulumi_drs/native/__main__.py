"""`pulumi-resource-drs`: the plugin process the engine starts (`python -m pulumi_drs.native` too).

The engine runs it with its own address as the last argument that is not a flag; the plugin serves
the ResourceProvider service on a free local port, prints the port on stdout (the handshake), and
serves until the engine stops it. From the start it watches the engine (`engine_watch`): a plugin
whose engine died exits at once, sending nothing more to DRS.
"""

from __future__ import annotations

import os
import sys
import threading
from concurrent import futures

import grpc
from pulumi.runtime.proto import provider_pb2_grpc

from pulumi_drs import engine_watch
from pulumi_drs.native.engine import Engine
from pulumi_drs.native.server import DrsProvider

MAX_WORKERS = 32
"""Requests served at once: each batch that waits for its jobs holds one for as long as it waits."""
MAX_MESSAGE_BYTES = 400 * 1024 * 1024
"""As the Pulumi SDK's own servers allow (a batch of thousands of jobs is a large Struct)."""


def main(argv: list[str] | None = None, provider_class: type[DrsProvider] = DrsProvider) -> None:
    """Serve until stopped; `provider_class` lets the benchmark serve its no-op floor the same way."""
    args = sys.argv[1:] if argv is None else argv
    address = engine_watch.engine_address(args)
    provider = provider_class(Engine(address))
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="drs-step"),
                         options=[("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                                  ("grpc.max_send_message_length", MAX_MESSAGE_BYTES)])
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(provider, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    engine_watch.watch(address, parent_pid=os.getppid())
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop(0)


if __name__ == "__main__":
    main()
