"""The HTTP/1.1 protocol `depositdesk serve` runs: uvicorn's h11, answers sent at once.

asyncio turns Nagle's algorithm off (TCP_NODELAY) only on connections whose listening
socket says it is TCP (`proto == IPPROTO_TCP`). With `--workers N` uvicorn binds the
socket itself with `proto` 0 and hands it to its processes, so their connections kept
Nagle on: an answer written in two parts (head, then body) waited for the client's
delayed ACK, about 40 ms a request (measured: `/healthz` at one client went from 1 ms
to 44 ms with two processes). This protocol sets TCP_NODELAY on every connection.
"""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol


class NoDelayH11Protocol(H11Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)


HTTP_PROTOCOL = f"{__name__}:{NoDelayH11Protocol.__name__}"
