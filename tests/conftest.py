"""Shared fixtures: a seeded FactStore on a temporary database (tests/dbkit.py), the fake Bot API, a polling bot."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from tests.fake_bot_api import Call, FakeBotApi

TEST_TOKEN = "7000000001:TEST-token-abcdefghijklmnopqrstuvwxyz"


@pytest.fixture(scope="session", autouse=True)
def compiled_kernels() -> None:
    """Compile (or load) store.kernels once, before any test: not inside a hypothesis test's time limit."""
    from store.kernels import compile_now

    compile_now()


@pytest.fixture(scope="session")
def seeded_store(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A FactStore over a fresh database filled from seeds/ (shared by the session)."""
    from store.service import FactStore
    from tests.dbkit import database_url

    store = FactStore.open(database_url(tmp_path_factory.mktemp("seeded")))
    store.warm()
    return store


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeBotApi]:
    """A fake Bot API server on 127.0.0.1:<free port>."""
    async with FakeBotApi() as api:
        yield api


def make_settings(api: FakeBotApi | None = None, **overrides: Any) -> Any:
    """Settings for tests: never read the developer's .env."""
    from bot.config import Settings

    values: dict[str, Any] = {"telegram_bot_token": TEST_TOKEN}
    if api is not None:
        values.update(
            telegram_api_base_url=api.base_url, telegram_api_file_url=api.base_file_url
        )
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


class BotHarness:
    """A polling Application wired to the fake server, plus helpers to talk to it as a user."""

    def __init__(self, api: FakeBotApi, app: Any) -> None:
        self.api = api
        self.app = app

    async def exchange(
        self,
        update: dict[str, Any],
        method: str = "sendMessage",
        predicate: Callable[[Call], bool] | None = None,
        timeout: float = 15.0,
    ) -> Call:
        """Push an update and wait for the first `method` call it causes."""
        mark = self.api.mark()
        self.api.push(update)
        return await self.api.wait_for(method, predicate, since=mark, timeout=timeout)

    async def private(self, text: str, *, user_id: int = 1001) -> Call:
        """Send a private text message; return the bot's first sendMessage to that chat."""
        update = self.api.make_private_text(text, user_id=user_id)
        return await self.exchange(update, predicate=lambda c: c.chat_id == user_id)

    async def group(
        self,
        text: str,
        *,
        chat_id: int = -1001234567890,
        user_id: int = 1001,
        reply_to: dict[str, Any] | None = None,
    ) -> Call:
        """Send a group message; return the bot's first sendMessage to that group."""
        update = self.api.make_group_text(text, chat_id=chat_id, user_id=user_id, reply_to=reply_to)
        return await self.exchange(update, predicate=lambda c: c.chat_id == chat_id)

    async def press(
        self, call: Call, button_text: str, *, method: str = "editMessageText", user_id: int = 1001
    ) -> Call:
        """Press the button labelled `button_text` on the message a sendMessage/edit produced."""
        data = button_data(call, button_text)
        message = self.api.messages[(call.params["chat_id"], call.result["message_id"])]
        update = self.api.make_callback_query(message, data, user_id=user_id)
        return await self.exchange(update, method)

    async def replies_until_sentinel(self, update: dict[str, Any], chat_id: int) -> list[Call]:
        """Push `update`, then /help in the same chat; return the sendMessages before the help.

        Updates are handled in order, so once /help is answered, `update` has been handled.
        """
        mark = self.api.mark()
        self.api.push(update)
        if chat_id > 0:
            sentinel = self.api.make_private_text("/help", user_id=chat_id)
        else:
            sentinel = self.api.make_group_text(
                f"/help@{self.api.bot_username}", chat_id=chat_id
            )
        self.api.push(sentinel)
        await self.api.wait_for(
            "sendMessage",
            lambda c: c.chat_id == chat_id and "/targets" in c.text,
            since=mark,
            timeout=15.0,
        )
        sent = self.api.sent_messages(chat_id, since=mark)
        return sent[:-1]


@contextlib.asynccontextmanager
async def running_bot(api: FakeBotApi, settings: Any, store: Any) -> AsyncIterator[BotHarness]:
    """The real Application polling the fake Bot API, started and stopped as `bot run` does."""
    from bot.app import Services, build_application, startup

    app = build_application(settings, Services(store=store))
    await app.initialize()
    await startup(app)
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.0, timeout=5)
    await app.start()
    try:
        yield BotHarness(api, app)
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


def buttons(call: Call) -> list[dict[str, Any]]:
    """The inline buttons of a sendMessage/editMessageText call."""
    markup = call.params.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


def button_data(call: Call, text: str) -> str:
    """The callback data of the button whose label contains `text`."""
    for button in buttons(call):
        if text in button["text"]:
            return str(button["callback_data"])
    raise AssertionError(f"no button {text!r} in {[b['text'] for b in buttons(call)]}")


@pytest.fixture
async def bot(fake_api: FakeBotApi, seeded_store: Any) -> AsyncIterator[BotHarness]:
    """The real Application, built by bot.app, long-polling the fake server."""
    from bot.app import Services, build_application, startup

    settings = make_settings(fake_api, admin_ids="42")
    app = build_application(settings, Services(store=seeded_store))
    await app.initialize()
    await startup(app)
    assert app.updater is not None
    # As Application.run_polling does: polling errors go to the error handler.
    await app.updater.start_polling(
        poll_interval=0.0, timeout=5,
        error_callback=lambda exc: app.create_task(app.process_error(update=None, error=exc)),
    )
    await app.start()
    try:
        yield BotHarness(fake_api, app)
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def web_server() -> Iterator[HTTPServer]:
    """A local HTTP server on 127.0.0.1 for pages and feeds, shared by a test module."""
    srv = HTTPServer(host="127.0.0.1", threaded=True)
    srv.start()
    yield srv
    srv.clear()
    if srv.is_running():
        srv.stop()


@pytest.fixture
def web(web_server: HTTPServer) -> Iterator[HTTPServer]:
    """The module's local HTTP server, with no handlers left from an earlier test."""
    web_server.clear()
    yield web_server
    web_server.clear()
