"""Issue E 8: an unreachable Bot API at start and during a run (retries, quiet logs, no lost answers)."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import pytest

from delivery.errors import FailureLog
from tests.bot.test_process import bot_env
from tests.conftest import TEST_TOKEN, BotHarness
from tests.fake_bot_api import Call, FakeBotApi, parse_html

QUESTION = "西海岸新区重点项目总投资多少？"


def test_failure_log_writes_one_line_per_kind_per_interval(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    failures = FailureLog(interval=60.0, clock=lambda: now[0])
    logger = logging.getLogger("test.failures")
    caplog.set_level(logging.WARNING)
    for second in range(120):
        now[0] = float(second)
        failures.warn(logger, "poll", ConnectionError("refused"))
        failures.warn(logger, "poll", TimeoutError("slow"))
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 4, lines
    assert lines[2] == "poll: ConnectionError: refused (59 more like it since the last report)"


async def test_question_received_before_an_outage_is_answered_after_it(
    bot: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    api = bot.api
    caplog.set_level(logging.WARNING)

    def cut(call: Call) -> None:
        # The API goes down right after it handed the question to the bot.
        if call.method == "getUpdates" and call.result:
            api.outage, api.on_call = True, None

    api.on_call = cut
    mark = api.mark()
    api.push(api.make_private_text(QUESTION))
    await api.wait_until(lambda: api.outage, timeout=15)
    await asyncio.sleep(4)
    assert api.outage_hits >= 3  # polls and the reply kept trying
    during = [r for r in caplog.records if r.levelno >= logging.WARNING]
    api.outage = False
    answer = await api.wait_for("sendMessage", lambda c: c.chat_id == 1001 and c.ok, since=mark, timeout=60)
    assert parse_html(answer.text).startswith("2953亿元")
    assert len(during) <= 3, [r.getMessage() for r in during]
    assert not any(r.exc_info for r in caplog.records), caplog.text


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_bot_waits_for_an_api_that_comes_up_later(tmp_path: Path, seeded_store: Any) -> None:
    port = _free_port()
    later = FakeBotApi(port=port)
    env = bot_env(later, seeded_store.database_url, LOG_LEVEL="INFO")
    env["TELEGRAM_API_BASE_URL"] = f"http://127.0.0.1:{port}/bot"
    env["TELEGRAM_API_FILE_URL"] = f"http://127.0.0.1:{port}/file/bot"
    log_path = tmp_path / "bot.log"
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
            stdout=log, stderr=asyncio.subprocess.STDOUT,
        )
        try:
            # Nothing listens yet: the bot must still be there once the API comes up.
            for _ in range(100):
                await asyncio.sleep(0.2)
                if "not reachable" in log_path.read_text(errors="replace") or process.returncode is not None:
                    break
            await asyncio.sleep(2.0)
            assert process.returncode is None, log_path.read_text(errors="replace")
            async with later as api:
                await api.wait_polling(timeout=120)
                mark = api.mark()
                api.push(api.make_private_text("/help"))
                reply = await api.wait_for("sendMessage", since=mark, timeout=30)
                assert reply.ok
                process.send_signal(signal.SIGINT)
                code = await asyncio.wait_for(process.wait(), 60)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
    output = log_path.read_text(encoding="utf-8", errors="replace")
    attempts = [line for line in output.splitlines() if "not reachable" in line]
    assert code == 0, output[-3000:]
    assert 1 <= len(attempts) <= 6, output
    assert all("attempt" in line and "retrying in" in line for line in attempts)
    assert "Traceback" not in output
    assert TEST_TOKEN not in output
