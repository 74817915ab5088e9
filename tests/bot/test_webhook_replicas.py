"""Two real `python -m bot` processes in webhook mode behind a round-robin proxy (issue I).

The fake Bot API posts updates to the URL each replica registered with setWebhook, with the
secret token it registered; one database (tests/dbkit.py: a SQLite file, or PostgreSQL on the
PostgreSQL pass) is shared by both replicas and the CLI.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from render import texts
from tests.conftest import TEST_TOKEN, button_data
from tests.dbkit import seeded_database_url
from tests.fake_bot_api import parse_html
from tests.replicakit import REPLY_TIMEOUT, SECRET, Cluster, WebhookBotApi, running_cluster

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def cluster(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Cluster]:
    workdir = tmp_path_factory.mktemp("replicas")
    database_url = seeded_database_url(workdir)  # SQLite file, or PostgreSQL on the `make test` PG pass
    async with running_cluster(workdir, database_url, WebhookBotApi()) as running:
        yield running


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

