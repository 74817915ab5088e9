"""The application factory: defaults, typed bot_data, rate limiter, handler order, menus."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest
from telegram.constants import ParseMode
from telegram.ext import (
    AIORateLimiter,
    CallbackQueryHandler,
    CommandHandler,
    InlineQueryHandler,
    MessageHandler,
)

from bot.app import BotData, Services, build_application
from bot.config import ConfigError
from handlers.errors import on_error
from tests.conftest import make_settings


def test_build_application_configures_ptb(seeded_store: Any) -> None:
    settings = make_settings(
        telegram_api_base_url="http://127.0.0.1:9/bot",
        telegram_api_file_url="http://127.0.0.1:9/file/bot",
        timezone="Asia/Shanghai",
        admin_ids="7,8",
    )
    app = build_application(settings, Services(store=seeded_store))
    assert app.bot.defaults is not None
    assert app.bot.defaults.parse_mode == ParseMode.HTML
    assert app.bot.defaults.tzinfo == ZoneInfo("Asia/Shanghai")
    assert app.bot.base_url == f"http://127.0.0.1:9/bot{settings.token}"
    assert app.bot.base_file_url == f"http://127.0.0.1:9/file/bot{settings.token}"
    limiter = app.bot.rate_limiter
    assert isinstance(limiter, AIORateLimiter)
    assert limiter._max_retries == 3
    assert isinstance(app.bot_data, BotData)
    assert app.bot_data.store is seeded_store
    assert app.bot_data.is_admin(7) and not app.bot_data.is_admin(9)
    assert app.post_init is not None
    assert on_error in app.error_handlers


def test_handler_order_commands_first_catch_alls_last(seeded_store: Any) -> None:
    app = build_application(make_settings(), Services(store=seeded_store))
    group = app.handlers[0]
    kinds = [type(h) for h in group]
    last_command = max(i for i, k in enumerate(kinds) if k is CommandHandler)
    first_message = min(i for i, k in enumerate(kinds) if k is MessageHandler)
    assert last_command < first_message
    assert kinds[-1] is InlineQueryHandler
    assert CallbackQueryHandler in kinds
    commands = {c for h in group if isinstance(h, CommandHandler) for c in h.commands}
    assert {"start", "help", "ask", "targets", "projects", "search", "sources", "source"} <= commands
    menu = app.bot_data.menu
    assert next(m.command for m in menu if m.private) == "start"
    assert {"ask", "targets", "projects", "search", "sources", "help"} <= {m.command for m in menu if m.group}
    assert "start" not in {m.command for m in menu if m.group}


def test_no_token_and_no_request_is_a_config_error(seeded_store: Any) -> None:
    settings = make_settings(telegram_bot_token=None)
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN"):
        build_application(settings, Services(store=seeded_store))


def test_bot_data_without_bind_explains_itself() -> None:
    with pytest.raises(RuntimeError, match="bind"):
        _ = BotData().store
