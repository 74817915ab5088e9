"""The console chat: same handlers, readable text, numbered buttons, clean exit at end of input."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.console import Console, chat, html_to_text
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parents[2]


def test_html_to_text_is_readable() -> None:
    text = "<b>81.7亿元</b>\n<blockquote>第一行 &amp; <b>粗</b>\n第二行</blockquote>\n来源：&lt;x&gt;"
    assert html_to_text(text) == "81.7亿元\n  │ 第一行 & 粗\n  │ 第二行\n来源：<x>"


def test_numbers_press_the_last_buttons_otherwise_lines_are_messages() -> None:
    console = Console(io.StringIO())
    markup = {"inline_keyboard": [[{"text": "原文段落", "callback_data": "para:1:2"}]]}
    console.call("sendMessage", {"chat_id": 1, "text": "<b>x</b>", "reply_markup": markup})
    press = console.update_for("1")
    assert press["callback_query"]["data"] == "para:1:2"
    assert press["callback_query"]["message"]["text"] == "x"
    assert console.update_for("2")["message"]["text"] == "2"  # no second button: a message
    command = console.update_for("/targets 西海岸")["message"]
    assert command["entities"] == [{"type": "bot_command", "offset": 0, "length": 8}]
    assert "[1] 原文段落" in console.out.getvalue()  # type: ignore[attr-defined]


async def test_chat_runs_questions_commands_and_button_choices(seeded_store: Any) -> None:
    settings = make_settings(telegram_bot_token=None, database_url=seeded_store.database_url)
    lines = io.StringIO("西海岸新区重点项目总投资多少？\n2\n/targets\n/source abc\n/start\n1\n")
    out = io.StringIO()
    await chat(settings, lines, out)
    text = out.getvalue()
    assert "bot› 2953亿元" in text
    assert "[1] 原文段落  [2] 更多答案 ▶" in text
    assert "bot›（已更新）" in text  # "2" pressed 更多答案 and the message was edited
    assert "🎯 目标与计划" in text
    assert "用法：/source 编号" in text
    assert "bot› 81.7亿元" in text  # the example button asked 京东方青岛项目总投资多少？
    assert "<b>" not in text and "&amp;" not in text


def test_make_run_style_pipe_prints_answers_and_exits_cleanly(tmp_path: Path, seeded_store: Any) -> None:
    """`printf '…' | python -m bot` without a token is the console (what `make run` starts)."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": seeded_store.database_url,
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        input="京东方青岛项目总投资多少？\n/targets\n",
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    assert "81.7亿元" in result.stdout
    assert "🎯 目标与计划" in result.stdout and "📍 青岛西海岸新区" in result.stdout
    assert "Traceback" not in result.stderr


async def test_console_saves_charts_and_files(
    seeded_store: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path))
    settings = make_settings(telegram_bot_token=None, database_url=seeded_store.database_url)
    out = io.StringIO()
    await chat(settings, io.StringIO("/track 西海岸新区 海洋生产总值\n/export\n"), out)
    text = out.getvalue()
    assert "bot› 🖼" in text and "bot› 📎" in text
    saved = tmp_path / "devnews-console"
    pngs, csvs = sorted(saved.glob("*.png")), sorted(saved.glob("*.csv"))
    assert pngs and pngs[0].read_bytes().startswith(b"\x89PNG")
    assert csvs and csvs[0].read_bytes().startswith("\ufeff".encode())
    assert "海洋生产总值" in text and "12%以上" in text
