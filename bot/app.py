"""Application factory: settings + services → a configured PTB Application; `run` (polling or webhook)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    AIORateLimiter,
    ApplicationBuilder,
    BaseUpdateProcessor,
    ContextTypes,
    Defaults,
)
from telegram.request import BaseRequest, HTTPXRequest

import handlers
from bot import feeds_job, jobs
from bot.config import ConfigError, Settings, TokenRedactingFilter, configure_logging, load_settings
from bot.env import index_dir_from_env
from bot.health import Health
from bot.health import install as install_health
from delivery.config import rate_limiter_args
from delivery.engine import Push
from handlers.context import App, BotData, Context
from handlers.errors import on_error
from store import redaction
from store.chats import ChatSettings, QueryTexts
from store.feeds import FeedBook

if TYPE_CHECKING:
    from store.ingest.fetch import FetchPolicy
    from store.service import FactStore

__all__ = [
    "App", "BotData", "Context", "Services", "build_application", "run", "run_polling", "startup",
]

log = logging.getLogger(__name__)

# How often a running bot checks the database for documents ingested elsewhere (one cheap query):
# shorter shows them sooner, at the cost of more idle queries.
INDEX_REFRESH_SECONDS = 2.0

# Used when a test or the console injects its own request object instead of a real token.
OFFLINE_TOKEN = "0:offline"


# Updates handled at once. Each chat's own updates still run one at a time, in order; a chat
# waiting for its 20-per-minute group limit holds one slot, so this bounds how many such waits
# (one per busy chat) can exist before other chats queue behind them. Store work runs in the
# default thread pool, which bounds the CPU side independently.
MAX_CONCURRENT_UPDATES = 256


def order_key(update: object) -> int | None:
    """The chat (or, without one, the user) whose updates must be handled in order."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    return update.effective_user.id if update.effective_user is not None else None


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Processes updates concurrently across chats and one at a time within a chat.

    Tasks are created in update order and acquire their chat's lock before any other await,
    and asyncio locks are FIFO: a chat's replies keep the order of its messages while a busy
    group (waiting on its rate limit) never delays anyone else.
    """

    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Await the update's handlers under its chat's lock."""
        key = order_key(update)
        if key is None:
            await coroutine
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._users[key] -= 1
            if not self._users[key]:  # nobody waits: drop the lock, memory stays bounded
                del self._users[key], self._locks[key]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""


@dataclass
class Services:
    """Long-lived objects the handlers use (handlers.context.Services is their typed view)."""

    store: FactStore
    # Extra start-up steps run after the built-in ones (e.g. scheduling jobs).
    on_startup: list[Callable[[App], Awaitable[None]]] = field(default_factory=list)
    # The digest and announcement engine (set by jobs.install).
    push: Push | None = None
    # Limits for fetching pages and feeds (set by feeds_job.install from FETCH_ALLOW_PRIVATE).
    fetch_policy: FetchPolicy | None = None
    # Store services over the same database, one unit of work per call (handlers open no sessions).
    chats: ChatSettings = field(init=False)
    feeds: FeedBook = field(init=False)
    query_texts: QueryTexts = field(init=False)

    def __post_init__(self) -> None:
        self.chats = ChatSettings(self.store.engine)
        self.feeds = FeedBook(self.store.engine)
        self.query_texts = QueryTexts(self.store.engine)


def build_application(
    settings: Settings,
    services: Services,
    *,
    request: BaseRequest | None = None,
) -> App:
    """Build the Application: HTML defaults, typed bot_data, rate limiter, handlers, hooks.

    `request` replaces the HTTP layer (the console uses an in-process one); without it the
    bot talks to `settings.telegram_api_base_url` with `settings.telegram_bot_token`.
    """
    token = settings.token
    if token is None and request is None:
        raise ConfigError("配置错误 TELEGRAM_BOT_TOKEN: not set")
    redaction.protect(token)  # logs, database error columns and replies never carry it
    defaults = Defaults(
        parse_mode=ParseMode.HTML,
        tzinfo=ZoneInfo(settings.timezone),
        link_preview_options=LinkPreviewOptions(is_disabled=True),
        allow_sending_without_reply=True,
    )
    builder = (
        ApplicationBuilder()
        .token(token or OFFLINE_TOKEN)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_api_file_url)
        .defaults(defaults)
        .context_types(ContextTypes(bot_data=BotData))
        .rate_limiter(AIORateLimiter(**rate_limiter_args(settings)))
        .concurrent_updates(ChatOrderedProcessor())
        .post_init(startup)
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request).updater(None)
    app: App = builder.build()  # type: ignore[assignment]
    app.bot_data.bind(services, admin_ids=frozenset(settings.admin_ids))
    handlers.register(app)
    # Digests and announcements (Services.push); an injected HTTP layer is not Telegram.
    jobs.install(app, settings, services, deliver=request is None)
    feeds_job.install(app, services, enabled=request is None)
    app.add_error_handler(on_error)
    return app


async def startup(app: App) -> None:
    """Warm the answering index and set the command menus (run as post_init)."""
    data = app.bot_data
    await asyncio.to_thread(data.store.warm)
    private = [BotCommand(m.command, m.description) for m in data.menu if m.private]
    group = [BotCommand(m.command, m.description) for m in data.menu if m.group]
    try:
        await app.bot.set_my_commands(private, scope=BotCommandScopeAllPrivateChats())
        await app.bot.set_my_commands(group, scope=BotCommandScopeAllGroupChats())
    except TelegramError as exc:
        # A missing menu is cosmetic; it must not keep the bot from answering.
        log.warning("could not set the command menus: %s", exc)
    schedule_index_refresh(app)
    for hook in data.services.on_startup:
        await hook(app)
    log.info("ready as @%s", app.bot.username)


def schedule_index_refresh(app: App) -> None:
    """Every INDEX_REFRESH_SECONDS, pick up documents another process added, replaced or deleted.

    The check is one query (the document-set version); a refresh runs in a thread and never
    overlaps the previous one, so a large batch does not pile refreshes up.
    """
    if app.job_queue is None:
        return
    store = app.bot_data.store
    busy = threading.Lock()
    last_error: list[str] = []

    def refresh() -> None:
        if not busy.acquire(blocking=False):
            return
        try:
            store.refresh_if_changed()
            last_error.clear()
        except Exception as exc:  # a broken database must not stop the job; say it once
            if last_error != [str(exc)]:
                log.warning("index refresh failed: %s", exc)
                last_error[:] = [str(exc)]
        finally:
            busy.release()

    async def tick(_context: Context) -> None:
        asyncio.get_running_loop().run_in_executor(None, refresh)  # not awaited: the job returns now

    app.job_queue.run_repeating(tick, interval=INDEX_REFRESH_SECONDS, first=INDEX_REFRESH_SECONDS,
                                name="index-refresh")


# Start-up waits for an unreachable Bot API: first retry after START_RETRY_FIRST seconds,
# doubling up to START_RETRY_MAX (an API back within seconds is found at once, a long outage
# costs one log line a minute).
START_RETRY_FIRST = 1.0
START_RETRY_MAX = 60.0


async def wait_for_bot_api(
    token: str, base_url: str, *, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
) -> None:
    """Return once getMe succeeds, retrying with backoff and one log line per failed attempt.

    A rejected token (InvalidToken) is raised at once: retrying cannot fix it.
    """
    probe = Bot(token, base_url=base_url, request=HTTPXRequest())
    delay, attempt = START_RETRY_FIRST, 0
    while True:
        attempt += 1
        try:
            await probe.initialize()  # getMe
            break
        except (InvalidToken, BadRequest):
            raise
        except NetworkError as exc:  # refused, timed out, 5xx
            log.warning(
                "Bot API at %s not reachable (attempt %s: %s: %s); retrying in %.0f s",
                base_url, attempt, type(exc).__name__, exc, delay,
            )
        await sleep(delay)
        delay = min(START_RETRY_MAX, delay * 2)
    with contextlib.suppress(TelegramError):
        await probe.shutdown()
    if attempt > 1:
        log.info("Bot API reachable after %s attempts", attempt)


def run_polling() -> int:
    """Run the bot in BOT_MODE (polling by default); kept under its old name for callers."""
    return run()


class ShutdownWatchdog:
    """After a stop signal, exit the process anyway once SHUTDOWN_TIMEOUT has passed."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._timer: threading.Timer | None = None

    def start(self) -> None:
        """Start counting (a second call changes nothing)."""
        if self._timer is None:
            self._timer = threading.Timer(self.timeout, self._expire)
            self._timer.daemon = True
            self._timer.start()

    def cancel(self) -> None:
        """The shutdown finished in time."""
        if self._timer is not None:
            self._timer.cancel()

    def _expire(self) -> None:
        log.error("shutdown took longer than %.0f s: exiting with work unfinished", self.timeout)
        for handler in logging.getLogger().handlers:
            with contextlib.suppress(Exception):
                handler.flush()
        os._exit(EXIT_FORCED)


# Exit status when SHUTDOWN_TIMEOUT cut the drain short (a clean stop exits 0).
EXIT_FORCED = 1


def drain_push_before_stop(app: App, services: Services, timeout: float) -> None:
    """On stop, start no new send, let in-flight ones finish (at most `timeout` s) and give the lease up.

    The claims not yet attempted stay pending: another replica's tick (or the next start) sends them.
    """
    push = services.push
    if push is None:
        return
    previous = app.post_stop

    async def post_stop(application: Any) -> None:
        await push.drain(timeout)
        if previous is not None:
            await previous(application)

    app.post_stop = post_stop


def run() -> int:
    """Load settings, open the store and take updates (polling or webhook) until SIGTERM/SIGINT.

    A stop signal marks /healthz as shutting down, stops taking updates, lets in-flight handlers
    and sends finish within SHUTDOWN_TIMEOUT and exits 0 (EXIT_FORCED if the timeout cut it short).
    """
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    token = settings.token
    if token is None:
        print(
            "配置错误 TELEGRAM_BOT_TOKEN: not set (create a bot with @BotFather, put the token "
            "in .env) — or run `python -m bot console`",
            file=sys.stderr,
        )
        return 2
    configure_logging(settings)
    redact = TokenRedactingFilter(token).redact

    from store.service import FactStore  # heavy: only when we are really going to run

    store = FactStore.open(settings.database_url, index_dir=index_dir_from_env())
    services = Services(store=store)
    app = build_application(settings, services)
    health = Health(store.status, settings.health_max_tick_age, mode=settings.bot_mode)
    install_health(app, health)

    async def mark_ready(_app: App) -> None:
        health.ready = True

    services.on_startup.append(mark_ready)
    # Half the budget for running fan-outs: updates in flight are drained first, by app.stop().
    drain_push_before_stop(app, services, settings.shutdown_timeout / 2)
    watchdog = ShutdownWatchdog(settings.shutdown_timeout)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    def on_signal(signum: int) -> None:
        if health.stopping:
            return
        log.info(
            "%s: stopping — no new updates, finishing in-flight work (at most %.0f s)",
            signal.Signals(signum).name, settings.shutdown_timeout,
        )
        health.stopping = True
        watchdog.start()
        app.stop_running()

    try:
        loop.run_until_complete(wait_for_bot_api(token, settings.telegram_api_base_url))
        if settings.health_port is not None:
            loop.run_until_complete(health.start_server(settings.health_listen, settings.health_port))
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, on_signal, signum)
        if settings.bot_mode == "webhook":
            assert settings.webhook_url is not None and settings.webhook_secret is not None
            log.info(
                "webhook on %s:%s/%s for %s", settings.webhook_listen, settings.webhook_port,
                settings.webhook_url_path, settings.webhook_url,
            )
            app.run_webhook(
                listen=settings.webhook_listen,
                port=settings.webhook_port,
                url_path=settings.webhook_url_path,
                webhook_url=settings.webhook_url,
                secret_token=settings.webhook_secret.get_secret_value(),
                allowed_updates=Update.ALL_TYPES,
                stop_signals=None,
                close_loop=False,
            )
        else:
            log.info("polling %s", settings.telegram_api_base_url)
            app.run_polling(allowed_updates=Update.ALL_TYPES, stop_signals=None, close_loop=False)
    except InvalidToken:
        print("Telegram rejected TELEGRAM_BOT_TOKEN (check it with @BotFather)", file=sys.stderr)
        return 1
    except TelegramError as exc:
        print(f"cannot reach the Bot API: {redact(str(exc))}", file=sys.stderr)
        return 1
    except OSError as exc:  # the webhook or health port is taken
        print(f"cannot listen: {exc}", file=sys.stderr)
        return 1
    finally:
        with contextlib.suppress(Exception):
            loop.run_until_complete(health.stop_server())
        watchdog.cancel()
        loop.close()
    log.info("stopped")
    return 0
