"""One runtime process as one replica of N sharing a port: ``python -m bench.replica <port>``.

On Kubernetes the runtime runs one uvicorn process per pod and the Service spreads connections over the pods.
``uvicorn --workers N`` is no stand-in for that: its workers accept from one shared socket, and a client that
opens its keep-alive connections in a burst (a load driver, an ingress controller) lands most of them on
whichever worker woke first. Here every replica binds the port itself with ``SO_REUSEPORT``, so the kernel hashes
each new connection to one of them, as a Service would.
"""

from __future__ import annotations

import socket
import sys

import uvicorn


def main(argv: list[str]) -> int:
    port = int(argv[0])
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    listener.bind(("127.0.0.1", port))
    config = uvicorn.Config(
        "tenant_runtime.main:app_from_env",
        factory=True,
        access_log=False,
        log_level="warning",
        proxy_headers=False,
    )
    uvicorn.Server(config).run(sockets=[listener])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
