"""`GET /healthz` on HEALTH_PORT: database reachable, index loaded, job queue ticking (200 or 503 JSON)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

# The heartbeat job's interval; HEALTH_MAX_TICK_AGE (settings) should be several of these.
TICK_SECONDS = 5.0
# A database check slower than this counts as unreachable (a locked or hung database).
DATABASE_TIMEOUT = 5.0
# Bytes of request head read before giving up (a health probe sends a few hundred).
MAX_REQUEST_HEAD = 16 * 1024
READ_TIMEOUT = 5.0


@dataclass
class Health:
    """What /healthz reports: fed by the heartbeat job, start-up and shutdown."""

    status_of_store: Callable[[], dict[str, Any]]
    max_tick_age: float
    mode: str = "polling"
    clock: Callable[[], float] = time.monotonic
    ready: bool = False  # start-up (index warm, hooks) finished
    stopping: bool = False  # SIGTERM received: a load balancer should stop sending here
    last_tick: float | None = None
    _server: asyncio.Server | None = field(default=None, repr=False)

    def tick(self) -> None:
        """Record that the job queue ran a job just now."""
        self.last_tick = self.clock()

    async def report(self) -> tuple[int, dict[str, Any]]:
        """HTTP status and JSON body: 200 when everything holds, else 503 listing what is wrong."""
        problems: list[str] = []
        body: dict[str, Any] = {"mode": self.mode}
        if self.stopping:
            problems.append("shutting down")
        if not self.ready:
            problems.append("starting")
        try:
            store = await asyncio.wait_for(asyncio.to_thread(self.status_of_store), DATABASE_TIMEOUT)
        except Exception as exc:  # any failure to read is "unreachable"; the kind says why
            problems.append(f"database unreachable: {type(exc).__name__}: {exc}")
            body["database"] = "unreachable"
        else:
            body.update(database="ok", **store)
            if not store.get("index_loaded"):
                problems.append("index not loaded")
        if self.last_tick is None:
            problems.append("job queue has not ticked yet")
        else:
            age = self.clock() - self.last_tick
            body["last_tick_seconds_ago"] = round(age, 1)
            if age > self.max_tick_age:
                problems.append(f"job queue last ticked {age:.0f} s ago (limit {self.max_tick_age:.0f} s)")
        body["ok"] = not problems
        body["problems"] = problems
        return (200 if not problems else 503), body

    async def start_server(self, host: str, port: int) -> None:
        """Listen for `GET /healthz` on host:port (a minimal HTTP/1.1 server, one request per connection)."""
        self._server = await asyncio.start_server(self._serve, host, port)
        log.info("health endpoint on http://%s:%s/healthz", host, port)

    async def stop_server(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2.0)
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), READ_TIMEOUT)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ConnectionError):
            writer.close()
            return
        request_line = head[:MAX_REQUEST_HEAD].split(b"\r\n", 1)[0].decode("latin-1")
        parts = request_line.split()
        method, target = (parts[0], parts[1]) if len(parts) >= 2 else ("", "")
        if target.split("?", 1)[0] != "/healthz":
            status, body = 404, {"ok": False, "problems": ["not found: use GET /healthz"]}
        elif method not in ("GET", "HEAD"):
            status, body = 405, {"ok": False, "problems": ["method not allowed"]}
        else:
            status, body = await self.report()
        payload = json.dumps(body, ensure_ascii=False).encode()
        reason = {200: "OK", 404: "Not Found", 405: "Method Not Allowed"}.get(status, "Service Unavailable")
        writer.write(
            f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json; charset=utf-8\r\n"
            f"Content-Length: {len(payload)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n".encode()
            + (payload if method != "HEAD" else b"")
        )
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        writer.close()


def install(app: Any, health: Health) -> None:
    """Run the heartbeat job every TICK_SECONDS (from the application's job queue)."""
    if app.job_queue is None:
        return

    async def heartbeat(_context: Any) -> None:
        health.tick()

    app.job_queue.run_repeating(heartbeat, interval=TICK_SECONDS, first=0.0, name="health-heartbeat")
