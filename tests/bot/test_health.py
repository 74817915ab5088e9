"""/healthz (bot/health.py) and the webhook settings: what is wrong is named, one line per bad key."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from bot.config import ConfigError, load_settings
from bot.health import Health

WEBHOOK_KEYS = (
    "BOT_MODE", "WEBHOOK_URL", "WEBHOOK_SECRET", "WEBHOOK_PATH", "WEBHOOK_PORT", "HEALTH_PORT",
    "TELEGRAM_BOT_TOKEN",
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def healthy_store() -> dict[str, Any]:
    return {"documents": 3, "database_version": 7, "index_loaded": True, "index_version": 7}


def broken_store() -> dict[str, Any]:
    raise OSError("unable to open database file")


async def test_everything_fine_is_200() -> None:
    clock = Clock()
    health = Health(healthy_store, max_tick_age=30, clock=clock, ready=True)
    health.tick()
    clock.now += 10
    status, body = await health.report()
    assert status == 200 and body["ok"] and body["problems"] == []
    assert body["documents"] == 3 and body["last_tick_seconds_ago"] == 10


@pytest.mark.parametrize(
    ("store", "ready", "tick_age", "stopping", "problem"),
    [
        (broken_store, True, 1, False, "database unreachable: OSError: unable to open database file"),
        (lambda: {**healthy_store(), "index_loaded": False}, True, 1, False, "index not loaded"),
        (healthy_store, True, 31, False, "job queue last ticked 31 s ago (limit 30 s)"),
        (healthy_store, True, None, False, "job queue has not ticked yet"),
        (healthy_store, False, 1, False, "starting"),
        (healthy_store, True, 1, True, "shutting down"),
    ],
)
async def test_each_problem_is_a_503_naming_it(
    store: Any, ready: bool, tick_age: float | None, stopping: bool, problem: str
) -> None:
    clock = Clock()
    health = Health(store, max_tick_age=30, clock=clock, ready=ready, stopping=stopping)
    if tick_age is not None:
        health.tick()
        clock.now += tick_age
    status, body = await health.report()
    assert status == 503 and not body["ok"]
    assert body["problems"] == [problem]


async def test_server_answers_json_over_http() -> None:
    health = Health(broken_store, max_tick_age=30, ready=True)
    health.tick()
    await health.start_server("127.0.0.1", 0)
    assert health._server is not None
    port = health._server.sockets[0].getsockname()[1]

    async def get(path: str) -> tuple[str, dict[str, Any]]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        raw = await reader.read()
        writer.close()
        head, _, body = raw.partition(b"\r\n\r\n")
        return head.split(b"\r\n")[0].decode(), json.loads(body)

    try:
        line, body = await get("/healthz")
        assert line == "HTTP/1.1 503 Service Unavailable"
        assert body["database"] == "unreachable"
        line, _ = await get("/")
        assert line == "HTTP/1.1 404 Not Found"
    finally:
        await health.stop_server()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in WEBHOOK_KEYS:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)


def test_polling_is_the_default(clean_env: None) -> None:
    settings = load_settings()
    assert settings.bot_mode == "polling" and settings.health_port is None


def test_webhook_settings(clean_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_MODE", "webhook")
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example.org/telegram/hook")
    monkeypatch.setenv("WEBHOOK_SECRET", "s3cret_-X")
    settings = load_settings()
    assert settings.webhook_url_path == "telegram/hook"
    monkeypatch.setenv("WEBHOOK_PATH", "/local/")
    assert load_settings().webhook_url_path == "local"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"BOT_MODE": "webhook", "WEBHOOK_SECRET": "abc"}, "配置错误 WEBHOOK_URL: required when BOT_MODE=webhook"),
        ({"BOT_MODE": "webhook", "WEBHOOK_URL": "https://x.org/h"}, "配置错误 WEBHOOK_SECRET: required when BOT_MODE=webhook"),
        ({"WEBHOOK_SECRET": "has space"}, "配置错误 WEBHOOK_SECRET: must be 1–256 characters"),
        ({"WEBHOOK_URL": "bot.example.org"}, "配置错误 WEBHOOK_URL: 'bot.example.org' is not an http(s) URL"),
        ({"HEALTH_PORT": "70000"}, "配置错误 HEALTH_PORT: 70000 is not a TCP port"),
        ({"BOT_MODE": "hook"}, "配置错误 BOT_MODE:"),
    ],
)
def test_bad_webhook_settings_name_the_key(
    clean_env: None, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value).startswith(expected), str(caught.value)
    assert "has space" not in str(caught.value)  # a secret is never echoed
