"""Connection bookkeeping and the transport protocol the manager talks to."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any, Protocol


class ConnectionClosedError(ConnectionError):
    """Raised by a transport when data is sent on a closed socket."""


class WebSocketTransport(Protocol):
    """The subset of a server-side WebSocket the manager relies on."""

    async def send_text(self, data: str) -> None: ...

    async def close(self, code: int = 1000) -> None: ...


class InMemoryTransport:
    """Loopback transport.

    Used by the local dev server, the maintenance scripts' ``--demo`` mode
    and the test-suite. Everything "sent" is kept in :attr:`sent`.
    """

    def __init__(self, name: str = "loopback") -> None:
        self.name = name
        self.sent: list[str] = []
        self.closed = False
        self.close_code: int | None = None

    async def send_text(self, data: str) -> None:
        if self.closed:
            raise ConnectionClosedError(f"{self.name}: transport is closed")
        # Yield to the loop like a real socket write would.
        await asyncio.sleep(0)
        self.sent.append(data)

    async def close(self, code: int = 1000) -> None:
        self.closed = True
        self.close_code = code

    def messages(self) -> list[dict[str, Any]]:
        return [json.loads(raw) for raw in self.sent]

    def types(self) -> list[str]:
        return [message.get("type", "") for message in self.messages()]

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<InMemoryTransport {self.name} {state} sent={len(self.sent)}>"


@dataclass
class WebSocketConnection:
    connection_id: str
    user_id: str
    transport: WebSocketTransport
    connected_at: float = field(default_factory=time.monotonic)

    @property
    def is_open(self) -> bool:
        return not getattr(self.transport, "closed", False)
