"""Issue E 4, 5: `bot ingest` records announcements, the running `python -m bot` posts them.

Real processes against the fake Bot API: a bulk ingest becomes one summary post, a crash
while announcing loses nothing and posts nothing twice.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from tests.bot.pushkit import fresh_db
from tests.bot.test_process import bot_env
from tests.bot.test_push_e2e import _cli, _cli_env
from tests.conftest import TEST_TOKEN
from tests.fake_bot_api import Call, FakeBotApi, parse_html

CHAT = -1003333333333


def article(n: int) -> str:
    """A distinct small article about 第{n}新区."""
    return (
        f"第{n}新区：创新驱动加快发展\n\n"
        f"2023年，第{n}新区完成固定资产投资{100 + n}亿元，同比增长12.5%。\n\n"
        f"第{n}新区新签约重点项目{30 + n}个，总投资达到{200 + n}亿元。\n"
    )


def write_articles(folder: Path, numbers: range) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for n in numbers:
        (folder / f"article_{n:02d}.txt").write_text(article(n), encoding="utf-8")
    return folder


def announced(api: FakeBotApi) -> Counter[str]:
    """How often each 第N新区 was announced individually."""
    out: Counter[str] = Counter()
    for call in api.sent_messages(CHAT):
        text = parse_html(call.text)
        if text.startswith("📢 新文章："):
            out[text.split("：", 1)[1].split("：", 1)[0]] += 1
    return out


async def start_bot(api: FakeBotApi, database_url: str, log_path: Path, **extra: str) -> Any:
    env = bot_env(api, database_url, ANNOUNCE_CHAT_IDS=str(CHAT), **extra)
    log = log_path.open("ab")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=log_path.parent, env=env,
        stdout=log, stderr=asyncio.subprocess.STDOUT,
    )
    log.close()
    return process


async def stop(process: Any) -> int:
    if process.returncode is None:
        process.send_signal(signal.SIGINT)
    return int(await asyncio.wait_for(process.wait(), 60))


async def test_bulk_ingest_becomes_one_summary_posted_by_the_running_bot(tmp_path: Path) -> None:
    database = fresh_db(tmp_path)
    async with FakeBotApi() as api:
        cli_env = _cli_env(api, database, TELEGRAM_BOT_TOKEN=TEST_TOKEN, ANNOUNCE_CHAT_IDS=str(CHAT))
        bulk = await _cli(["ingest", str(write_articles(tmp_path / "bulk", range(1, 9)))], cli_env, tmp_path)
        assert bulk.returncode == 0 and "8 announcement(s) recorded" in bulk.stdout, bulk.stderr
        quiet = write_articles(tmp_path / "quiet", range(20, 21))
        assert (await _cli(["ingest", "--no-announce", str(quiet)], cli_env, tmp_path)).returncode == 0
        assert api.calls() == []

        log_path = tmp_path / "bot.log"
        process = await start_bot(api, database, log_path)
        try:
            summary = await api.wait_for("sendMessage", lambda c: c.chat_id == CHAT, timeout=180)
            text = parse_html(summary.text)
            assert text.startswith("📢 新收录 8 篇文章"), text
            assert all(f"第{n}新区" in text for n in range(1, 9)) and "第20新区" not in text

            # While the bot runs, a single new document gets its own post within seconds.
            mark = api.mark()
            single = write_articles(tmp_path / "single", range(30, 31))
            assert (await _cli(["ingest", str(single)], cli_env, tmp_path)).returncode == 0
            post = await api.wait_for("sendMessage", lambda c: c.chat_id == CHAT, since=mark, timeout=60)
            assert parse_html(post.text).startswith("📢 新文章：第30新区")
        finally:
            code = await stop(process)
    output = log_path.read_text(encoding="utf-8", errors="replace")
    assert code == 0, output[-3000:]
    assert len(api.sent_messages(CHAT)) == 2
    assert TEST_TOKEN not in output


async def test_a_bot_killed_while_announcing_completes_the_rest_at_the_next_start(tmp_path: Path) -> None:
    database = fresh_db(tmp_path)
    async with FakeBotApi() as api:
        cli_env = _cli_env(api, database, TELEGRAM_BOT_TOKEN=TEST_TOKEN, ANNOUNCE_CHAT_IDS=str(CHAT))
        batch = {"ANNOUNCE_BATCH": "100"}  # one post per document
        folder = write_articles(tmp_path / "docs", range(1, 7))
        assert (await _cli(["ingest", str(folder)], {**cli_env, **batch}, tmp_path)).returncode == 0

        log_path = tmp_path / "bot.log"
        process = await start_bot(api, database, log_path, **batch)

        def kill_on_third(call: Call) -> None:
            if call.method == "sendMessage" and call.chat_id == CHAT and len(api.sent_messages(CHAT)) == 3:
                os.kill(process.pid, signal.SIGKILL)  # before Telegram's answer reaches the bot
                api.on_call = None

        api.on_call = kill_on_third
        try:
            assert await asyncio.wait_for(process.wait(), 180) == -signal.SIGKILL
            assert sum(announced(api).values()) == 3
            process = await start_bot(api, database, log_path, **batch)
            await api.wait_until(lambda: len(announced(api)) == 6, timeout=180)
            await api.wait_for("setMyCommands", timeout=60)
        finally:
            await stop(process)
    counts = announced(api)
    assert counts == Counter({f"第{n}新区": 1 for n in range(1, 7)}), counts
