"""`depositdesk serve --workers N` answers without Nagle's delay (issue 9)."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from uvicorn.config import Config
from uvicorn.server import ServerState

from depositdesk.entrypoints.api.protocol import NoDelayH11Protocol


class _Transport:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {
            "socket": self.sock,
            "sockname": self.sock.getsockname(),
            "peername": self.sock.getpeername(),
        }.get(name, default)

    def is_closing(self) -> bool:
        return False


def test_connections_of_a_socket_uvicorn_binds_for_its_workers_get_tcp_nodelay() -> None:
    """uvicorn's workers share a socket bound with proto 0, on whose connections asyncio
    leaves Nagle on: an answer in two writes then waited ~40 ms for a delayed ACK."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # as uvicorn binds it
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    client = socket.create_connection(listener.getsockname())
    accepted, _ = listener.accept()
    try:
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
        config = Config(app=lambda scope, receive, send: None)
        config.load()
        loop = asyncio.new_event_loop()  # the protocol's own: none may be current here
        try:
            protocol = NoDelayH11Protocol(config, ServerState(), app_state={}, _loop=loop)
            protocol.connection_made(_Transport(accepted))  # type: ignore[arg-type]
        finally:
            loop.close()
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
    finally:
        for s in (client, accepted, listener):
            s.close()
