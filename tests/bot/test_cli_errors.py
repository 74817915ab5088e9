"""Operator mistakes get one clear line and a failing exit code, never a traceback."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.bot.test_process import bot_env
from tests.dbkit import sqlite_only
from tests.fake_bot_api import FakeBotApi

ROOT = Path(__file__).resolve().parents[2]
# About SQLite files (random bytes, text, a truncated file given as the database): the
# PostgreSQL pass skips the module.
pytestmark = sqlite_only


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m bot ARGS` in `cwd` with a minimal environment (no developer .env)."""
    full = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT), **env}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, cwd=cwd, env=full, timeout=300
    )


def _random_bytes(path: Path, _seeded: Path) -> None:
    path.write_bytes(bytes((i * 7919 + 13) % 256 for i in range(8192)))


def _text_file(path: Path, _seeded: Path) -> None:
    path.write_text("DATABASE_URL=sqlite:///data/bot.db\n这不是数据库。\n", encoding="utf-8")


def _truncated_database(path: Path, seeded: Path) -> None:
    with sqlite3.connect(seeded) as source, sqlite3.connect(path) as copy:
        source.backup(copy)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@pytest.fixture(scope="module")
def seeded_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seeded-file") / "bot.db"
    result = run(["sources"], path.parent, DATABASE_URL=f"sqlite:///{path}")
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.mark.parametrize("make", [_random_bytes, _text_file, _truncated_database])
@pytest.mark.parametrize("command", [["sources"], ["ask", "京东方青岛项目总投资多少？"], ["ingest", "."]])
def test_a_file_that_is_not_a_database_is_one_line(
    tmp_path: Path, seeded_file: Path, make: Any, command: list[str]
) -> None:
    database = tmp_path / "broken.db"
    make(database, seeded_file)
    before = database.read_bytes()
    result = run(command, tmp_path, DATABASE_URL=f"sqlite:///{database}")
    lines = result.stderr.strip().splitlines()
    assert result.returncode != 0
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("配置错误 DATABASE_URL: sqlite:///") and "broken.db" in lines[0], lines
    assert "Traceback" not in result.stdout + result.stderr
    assert database.read_bytes() == before  # nothing written over the operator's file


async def test_the_bot_refuses_a_file_that_is_not_a_database_in_one_line(
    fake_api: FakeBotApi, tmp_path: Path
) -> None:
    database = tmp_path / "notes.db"
    _text_file(database, database)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=bot_env(fake_api, f"sqlite:///{database}"),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 120)
    lines = stderr.decode().strip().splitlines()
    assert process.returncode not in (0, None)
    assert len(lines) == 1 and lines[0].startswith("配置错误 DATABASE_URL:"), lines
    assert b"Traceback" not in stdout + stderr


@pytest.mark.parametrize("command", [["sources"], ["run"]])
def test_a_bad_log_level_is_one_line(tmp_path: Path, command: list[str]) -> None:
    result = run(command, tmp_path, LOG_LEVEL="chatty", DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}",
                 TELEGRAM_BOT_TOKEN="1:abc")
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2
    assert lines == ["配置错误 LOG_LEVEL: 'chatty' is not one of CRITICAL, ERROR, WARNING, INFO, DEBUG"], lines
    assert not (tmp_path / "x.db").exists()


def test_the_cli_honours_log_level_from_dotenv(tmp_path: Path, seeded_file: Path) -> None:
    url = f"sqlite:///{seeded_file}"
    quiet = run(["sources"], tmp_path, DATABASE_URL=url)
    assert quiet.returncode == 0 and " INFO " not in quiet.stderr, quiet.stderr
    (tmp_path / ".env").write_text("LOG_LEVEL=info\n", encoding="utf-8")
    chatty = run(["sources"], tmp_path, DATABASE_URL=url)
    assert chatty.returncode == 0 and " INFO store." in chatty.stderr, chatty.stderr
    assert chatty.stdout == quiet.stdout
