"""`python -m bot run` as a subprocess against a Bot API-compatible server on loopback.

Asserts correctness only; the response times are recorded (printed, and attached to the test
report as user properties) rather than asserted, because CI machines vary.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from render import texts
from tests.conftest import TEST_TOKEN, button_data
from tests.dbkit import database_url, seeded_database_url
from tests.fake_bot_api import Call, FakeBotApi, parse_html

ROOT = Path(__file__).resolve().parents[2]


def bot_env(api: FakeBotApi, database_url: str, **extra: str) -> dict[str, str]:
    """A minimal environment: nothing from the developer's shell or .env."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_BOT_TOKEN": TEST_TOKEN,
        "TELEGRAM_API_BASE_URL": api.base_url,
        "TELEGRAM_API_FILE_URL": api.base_file_url,
        "DATABASE_URL": database_url,
        **extra,
    }


async def timed(
    api: FakeBotApi, update: dict[str, Any], method: str, predicate: Callable[[Call], bool] | None = None
) -> tuple[Call, float]:
    """Push an update; return the bot's call and the seconds from push to that call arriving."""
    mark = api.mark()
    pushed_at = time.monotonic()
    api.push(update)
    call = await api.wait_for(method, predicate, since=mark, timeout=30)
    return call, call.at - pushed_at


async def test_bot_process_answers_start_question_button_and_inline(
    fake_api: FakeBotApi, tmp_path: Path, seeded_store: Any, record_property: Any
) -> None:
    # A copy of the seeded database, so the process does not re-seed.
    url = seeded_database_url(tmp_path)
    log_path = tmp_path / "bot.log"
    env = bot_env(fake_api, url, LOG_LEVEL="DEBUG")
    started = time.monotonic()
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
            stdout=log, stderr=asyncio.subprocess.STDOUT,
        )
        try:
            await fake_api.wait_for(
                "setMyCommands", lambda c: c.params["scope"]["type"] == "all_group_chats", timeout=120
            )
            await fake_api.wait_polling(timeout=60)
            ready = time.monotonic() - started

            start, t_start = await timed(fake_api, fake_api.make_private_text("/start"), "sendMessage")
            assert "开发区新闻助手" in parse_html(start.text)

            question, t_question = await timed(
                fake_api, fake_api.make_private_text("西海岸新区重点项目总投资多少？"), "sendMessage"
            )
            assert question.text.startswith("<b>2953亿元</b>")

            message = fake_api.messages[(1001, question.result["message_id"])]
            press = fake_api.make_callback_query(message, button_data(question, texts.BUTTON_MORE))
            edited, t_button = await timed(fake_api, press, "editMessageText")
            assert edited.ok and "第 2/" in parse_html(edited.text)

            inline, t_inline = await timed(
                fake_api, fake_api.make_inline_query("京东方青岛项目总投资"), "answerInlineQuery"
            )
            assert inline.ok and inline.params["results"][0]["title"].startswith("81.7亿元")

            # A bad update in between does not stop polling.
            fake_api.push({"not_a_real_update_type": {}})
            after, _ = await timed(fake_api, fake_api.make_private_text("/help"), "sendMessage")
            assert after.ok
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGINT)
            code = await asyncio.wait_for(process.wait(), 60)
    timings = {"ready": ready, "/start": t_start, "question": t_question, "button": t_button, "inline": t_inline}
    for name, seconds in timings.items():
        record_property(f"seconds_{name}", round(seconds, 4))
    print("\nsubprocess bot timings (s):", {k: round(v, 3) for k, v in timings.items()})
    output = log_path.read_text(encoding="utf-8", errors="replace")
    assert code == 0, output[-3000:]
    assert "getUpdates" in output  # DEBUG logging really was on…
    assert TEST_TOKEN not in output  # …and the token never reached it


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"TIMEZONE": "Mars/Base"}, "配置错误 TIMEZONE: unknown time zone 'Mars/Base'"),
        ({"ADMIN_IDS": "me"}, "配置错误 ADMIN_IDS: 'me' is not a numeric Telegram id"),
        ({"TELEGRAM_BOT_TOKEN": ""}, "配置错误 TELEGRAM_BOT_TOKEN: not set"),
    ],
)
async def test_bad_configuration_fails_at_start_with_one_line(
    fake_api: FakeBotApi, tmp_path: Path, env: dict[str, str], expected: str
) -> None:
    full_env = {**bot_env(fake_api, database_url(tmp_path, "x")), **env}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=full_env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    _stdout, stderr = await asyncio.wait_for(process.communicate(), 120)
    lines = stderr.decode().strip().splitlines()
    assert process.returncode == 2
    assert len(lines) == 1 and lines[0].startswith(expected), lines
    assert not fake_api.calls()
    assert not (tmp_path / "x.db").exists()


async def test_rejected_token_is_reported_without_the_token(tmp_path: Path, seeded_store: Any) -> None:
    async with FakeBotApi(tokens={"1:other"}) as api:
        env = bot_env(api, seeded_store.database_url)
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        stdout, stderr = await asyncio.wait_for(process.communicate(), 120)
    output = (stdout + stderr).decode()
    assert process.returncode == 1
    assert "rejected TELEGRAM_BOT_TOKEN" in output
    assert TEST_TOKEN not in output
