"""Real bot replicas for tests and benches: the fake Bot API with setWebhook, a round-robin proxy, processes.

Two (or more) `python -m bot run` processes in webhook mode share one database (a SQLite file or
PostgreSQL) and the fake Bot API on 127.0.0.1; a small reverse proxy spreads updates over them.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import socket
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from tests.bot.test_process import bot_env
from tests.fake_bot_api import Call, FakeBotApi

ROOT = Path(__file__).resolve().parent.parent

SECRET = "replica-test_SECRET-0123456789"
# Generous for a loaded 2-core machine: two bots import PTB/jieba and load the index at once.
START_TIMEOUT = 45.0
REPLY_TIMEOUT = 15.0


def free_port() -> int:
    """A port nobody listens on right now (127.0.0.1)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class WebhookBotApi(FakeBotApi):
    """The fake Bot API plus setWebhook: it records the URL and secret each replica registers."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.webhooks: list[dict[str, Any]] = []

    async def _api_setWebhook(self, params: dict[str, Any], call: Call) -> Any:
        self.webhooks.append(params)
        return True


class RoundRobinProxy:
    """A reverse proxy on 127.0.0.1 sending each POST to the next replica (the next one on failure)."""

    def __init__(self, backends: list[int]) -> None:
        self.backends = backends
        self.served: Counter[int] = Counter()  # backend port → requests it answered
        self.update_backend: dict[int, int] = {}  # update_id → backend port
        self._next = itertools.cycle(range(len(backends)))
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None
        self.port = 0

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{path:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self._client = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))

    async def stop(self) -> None:
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._client is not None
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        first = next(self._next)
        for i in range(len(self.backends)):
            port = self.backends[(first + i) % len(self.backends)]
            try:
                async with self._client.request(
                    request.method, f"http://127.0.0.1:{port}{request.path_qs}", data=body, headers=headers
                ) as response:
                    payload = await response.read()
            except aiohttp.ClientConnectionError:
                continue  # that replica is down: the next one takes the request
            self.served[port] += 1
            with contextlib.suppress(ValueError, KeyError, TypeError):
                self.update_backend[int(json.loads(body)["update_id"])] = port
            return web.Response(status=response.status, body=payload)
        return web.Response(status=502, text="no replica answered")


@dataclass
class Replica:
    """One `python -m bot run` in webhook mode."""

    name: str
    webhook_port: int
    health_port: int
    log_path: Path
    process: asyncio.subprocess.Process | None = None

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@dataclass
class Cluster:
    """The fake API, the proxy, two replicas and the environment the CLI shares with them."""

    api: WebhookBotApi
    proxy: RoundRobinProxy
    replicas: list[Replica]
    env: dict[str, str]
    workdir: Path
    http: aiohttp.ClientSession
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1_000_001))
    _users: itertools.count[int] = field(default_factory=lambda: itertools.count(5001))

    def user(self) -> int:
        """A user id not used before (replies are matched to questions by chat)."""
        return next(self._users)

    async def deliver(self, update: dict[str, Any], replica: Replica | None = None,
                      secret: str | None = None) -> tuple[int, int | None]:
        """POST an update as Telegram would, to the registered URL (the proxy) or straight to a
        replica; (HTTP status, port of the replica that took it)."""
        update = {"update_id": next(self._ids), **update}
        registered = self.api.webhooks[-1]
        url = registered["url"]
        if replica is not None:
            url = f"http://127.0.0.1:{replica.webhook_port}/tg"
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret or registered["secret_token"]}
        async with self.http.post(url, json=update, headers=headers) as response:
            status = response.status
        port = replica.webhook_port if replica else self.proxy.update_backend.get(update["update_id"])
        return status, port

    async def ask(self, text: str, replica: Replica | None = None) -> tuple[Call, int | None]:
        """A private question; the bot's reply and the port of the replica that answered."""
        user = self.user()
        mark = self.api.mark()
        status, port = await self.deliver(self.api.make_private_text(text, user_id=user), replica)
        assert status == 200, status
        call = await self.api.wait_for("sendMessage", lambda c: c.chat_id == user, since=mark,
                                       timeout=REPLY_TIMEOUT)
        return call, port

    async def healthz(self, replica: Replica) -> tuple[int, dict[str, Any]]:
        async with self.http.get(f"http://127.0.0.1:{replica.health_port}/healthz") as response:
            return response.status, await response.json()


async def start_replica(replica: Replica, env: dict[str, str], workdir: Path) -> None:
    with replica.log_path.open("ab") as log:
        replica.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=workdir,
            env={**env, "WEBHOOK_PORT": str(replica.webhook_port), "HEALTH_PORT": str(replica.health_port),
                 "INDEX_DIR": str(workdir / f"index-{replica.name}")},  # as in compose.yaml: one each
            stdout=log, stderr=asyncio.subprocess.STDOUT,
        )


async def wait_healthy(cluster: Cluster, replica: Replica, deadline: float) -> None:
    """Until /healthz says 200 and the webhook port takes connections."""
    last: Any = None
    while time.monotonic() < deadline:
        assert replica.process is not None
        assert replica.process.returncode is None, replica.log()[-3000:]
        try:
            status, body = await cluster.healthz(replica)
            last = body
            if status == 200:
                _reader, writer = await asyncio.open_connection("127.0.0.1", replica.webhook_port)
                writer.close()
                return
        except (aiohttp.ClientError, OSError) as exc:
            last = exc
        await asyncio.sleep(0.2)
    raise AssertionError(f"{replica.name} not healthy: {last}\n{replica.log()[-3000:]}")


@contextlib.asynccontextmanager
async def running_cluster(
    workdir: Path, database_url: str, api: WebhookBotApi, *, replicas: int = 2, **extra_env: str
) -> AsyncIterator[Cluster]:
    """Start the proxy and `replicas` healthy bot processes on the fake API; kill what is left at exit."""
    members = [
        Replica(name, free_port(), free_port(), workdir / f"{name}.log") for name in "abcdefgh"[:replicas]
    ]
    await api.start()
    proxy = RoundRobinProxy([r.webhook_port for r in members])
    await proxy.start()
    settings = {
        "LOG_LEVEL": "INFO", "BOT_MODE": "webhook", "WEBHOOK_URL": f"http://127.0.0.1:{proxy.port}/tg",
        "WEBHOOK_LISTEN": "127.0.0.1", "WEBHOOK_SECRET": SECRET, "SHUTDOWN_TIMEOUT": "10",
    }
    env = bot_env(api, database_url, **{**settings, **extra_env})
    http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
    cluster = Cluster(api, proxy, members, env, workdir, http)
    try:
        for replica in members:
            await start_replica(replica, env, workdir)
        deadline = time.monotonic() + START_TIMEOUT
        for replica in members:
            await wait_healthy(cluster, replica, deadline)
        yield cluster
    finally:
        for replica in members:
            if replica.process is not None and replica.process.returncode is None:
                replica.process.kill()
                await replica.process.wait()
        await http.close()
        await proxy.stop()
        await api.stop()
