"""Two real `python -m bot` processes in webhook mode behind a round-robin proxy (issue I).

The fake Bot API posts updates to the URL each replica registered with setWebhook, with the
secret token it registered; one database (tests/dbkit.py: a SQLite file, or PostgreSQL on the
PostgreSQL pass) is shared by both replicas and the CLI.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import signal
import socket
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web

from render import texts
from tests.bot.test_process import bot_env
from tests.conftest import TEST_TOKEN, button_data
from tests.dbkit import seeded_database_url
from tests.fake_bot_api import Call, FakeBotApi, parse_html

pytestmark = pytest.mark.asyncio(loop_scope="module")

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

    def __init__(self) -> None:
        super().__init__()
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


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def cluster(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Cluster]:
    workdir = tmp_path_factory.mktemp("replicas")
    database_url = seeded_database_url(workdir)  # SQLite file, or PostgreSQL on the `make test` PG pass
    replicas = [
        Replica(name, free_port(), free_port(), workdir / f"{name}.log") for name in ("a", "b")
    ]
    api = WebhookBotApi()
    await api.start()
    proxy = RoundRobinProxy([r.webhook_port for r in replicas])
    await proxy.start()
    env = bot_env(
        api, database_url, LOG_LEVEL="INFO", BOT_MODE="webhook",
        WEBHOOK_URL=f"http://127.0.0.1:{proxy.port}/tg", WEBHOOK_LISTEN="127.0.0.1",
        WEBHOOK_SECRET=SECRET, SHUTDOWN_TIMEOUT="10",
    )
    http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
    cluster = Cluster(api, proxy, replicas, env, workdir, http)
    try:
        for replica in replicas:
            await start_replica(replica, env, workdir)
        deadline = time.monotonic() + START_TIMEOUT
        for replica in replicas:
            await wait_healthy(cluster, replica, deadline)
        yield cluster
    finally:
        for replica in replicas:
            if replica.process is not None and replica.process.returncode is None:
                replica.process.kill()
                await replica.process.wait()
        await http.close()
        await proxy.stop()
        await api.stop()


async def test_each_replica_registers_the_webhook_with_its_secret(cluster: Cluster) -> None:
    assert len(cluster.api.webhooks) == 2
    for registered in cluster.api.webhooks:
        assert registered["url"] == f"http://127.0.0.1:{cluster.proxy.port}/tg"
        assert registered["secret_token"] == SECRET
    # A request without the right secret is refused and never handled.
    mark = cluster.api.mark()
    user = cluster.user()
    for replica in cluster.replicas:
        status, _ = await cluster.deliver(cluster.api.make_private_text("/start", user_id=user), replica,
                                          secret="wrong-secret")
        assert status == 403
    await asyncio.sleep(1.0)
    assert not cluster.api.sent_messages(user, since=mark)


async def test_healthz_of_each_replica(cluster: Cluster) -> None:
    for replica in cluster.replicas:
        status, body = await cluster.healthz(replica)
        assert status == 200, body
        assert body["ok"] and body["database"] == "ok" and body["index_loaded"], body
        assert body["mode"] == "webhook" and body["documents"] > 0
        async with cluster.http.get(f"http://127.0.0.1:{replica.health_port}/other") as response:
            assert response.status == 404


async def test_questions_are_answered_by_either_replica(cluster: Cluster) -> None:
    ports: Counter[int | None] = Counter()
    for _ in range(6):
        call, port = await cluster.ask("西海岸新区重点项目总投资多少？")
        assert call.text.startswith("<b>2953亿元</b>"), call.text
        ports[port] += 1
    assert set(ports) == {r.webhook_port for r in cluster.replicas}, ports


async def test_document_ingested_by_cli_is_answered_by_both(cluster: Cluster, record_property: Any) -> None:
    folder = cluster.workdir / "new"
    folder.mkdir()
    (folder / "replica-test.txt").write_text(
        "第九十九号测试新区推进项目建设\n\n2024年，第九十九号测试新区新签约项目37个，总投资88亿元。\n",
        encoding="utf-8",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "ingest", str(folder), cwd=cluster.workdir, env=cluster.env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, out.decode(errors="replace")
    done = time.monotonic()
    seen: dict[str, float] = {}
    while len(seen) < len(cluster.replicas):
        for replica in cluster.replicas:
            if replica.name in seen:
                continue
            call, _ = await cluster.ask("第九十九号测试新区新签约项目多少个？", replica)
            if "37个" in parse_html(call.text):
                seen[replica.name] = time.monotonic() - done
        assert time.monotonic() - done < 15, f"seen only by {seen}"
        await asyncio.sleep(0.3)
    for name, seconds in seen.items():
        record_property(f"seconds_until_seen_{name}", round(seconds, 2))
    print("\ningested document answered after (s):", {k: round(v, 2) for k, v in seen.items()})
    # Issue I asks for 5 s; each replica checks the document-set version every 2 s.
    assert max(seen.values()) < 8, seen


async def test_more_button_pressed_on_the_other_replica(cluster: Cluster) -> None:
    from render.replies import TOKEN_BUDGET

    question = "请问一下青岛西海岸新区的重点项目总投资一共是多少？"
    assert len(("=" + question).encode()) > TOKEN_BUDGET  # the question does not ride in the button
    first, second = cluster.replicas
    call, _ = await cluster.ask(question, first)
    data = button_data(call, texts.BUTTON_MORE)
    message = cluster.api.messages[(call.chat_id, call.result["message_id"])]  # type: ignore[index]
    mark = cluster.api.mark()
    status, _ = await cluster.deliver(
        cluster.api.make_callback_query(message, data, user_id=int(call.chat_id or 0)), second
    )
    assert status == 200
    edited = await cluster.api.wait_for("editMessageText", since=mark, timeout=REPLY_TIMEOUT)
    assert edited.ok and "第 2/" in parse_html(edited.text), edited.text


async def test_sigterm_finishes_in_flight_updates_and_exits_zero(cluster: Cluster) -> None:
    """Last: stops both replicas. An update taken just before SIGTERM is still answered."""
    for replica in cluster.replicas:
        assert replica.process is not None
        user = cluster.user()
        mark = cluster.api.mark()
        status, _ = await cluster.deliver(
            cluster.api.make_private_text("西海岸新区重点项目总投资多少？", user_id=user), replica
        )
        assert status == 200
        stopped_at = time.monotonic()
        replica.process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(replica.process.wait(), 20)
        took = time.monotonic() - stopped_at
        output = replica.log()
        assert code == 0, output[-3000:]
        assert took < 12, f"{replica.name} took {took:.1f} s to stop"
        replies = cluster.api.sent_messages(user, since=mark)
        assert replies and replies[0].text.startswith("<b>2953亿元</b>"), output[-3000:]
        assert "Traceback" not in output, output[-3000:]
        assert TEST_TOKEN not in output and SECRET not in output

