"""Typed bot_data (BotData) and services, the handler context type and the cache behind button data."""

from __future__ import annotations

import base64
import hashlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from telegram import Message
from telegram.ext import Application, CallbackContext, ExtBot, JobQueue

from render.replies import TOKEN_BUDGET

if TYPE_CHECKING:
    from delivery.engine import Push
    from store.chats import ChatSettings, QueryTexts
    from store.feeds import FeedBook
    from store.ingest.fetch import FetchPolicy
    from store.service import FactStore
    from store.views import IngestReport


class QueryCache:
    """Texts (questions, keywords) too long to ride in callback data, behind short tokens.

    A token is `=text` when it fits the callback budget and `#<hash>` otherwise: the hash of
    the text, whose text is kept in a bounded in-memory LRU and, once `attach`ed, in the
    database, so a button still works after a restart and in another process.
    """

    def __init__(self, capacity: int = 2000) -> None:
        self.capacity = capacity
        self._items: OrderedDict[str, str] = OrderedDict()
        self._save: Callable[[str, str], None] | None = None
        self._load: Callable[[str], str | None] | None = None

    def __len__(self) -> int:
        return len(self._items)

    def attach(self, save: Callable[[str, str], None], load: Callable[[str], str | None]) -> None:
        """Persist texts through `save(key, text)`; look missing ones up with `load(key)`."""
        self._save, self._load = save, load

    @staticmethod
    def key(text: str) -> str:
        """The content hash of a text (12 URL-safe characters, 72 bits)."""
        digest = hashlib.sha256(text.encode()).digest()[:9]
        return base64.urlsafe_b64encode(digest).decode()

    def _remember(self, key: str, text: str) -> None:
        self._items[key] = text
        self._items.move_to_end(key)
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)

    def token(self, text: str, budget: int = TOKEN_BUDGET) -> str:
        """Return a short token that `resolve` turns back into `text`."""
        literal = "=" + text
        if len(literal.encode()) <= budget:
            return literal
        key = self.key(text)
        if key not in self._items and self._save is not None:
            self._save(key, text)
        self._remember(key, text)
        return f"#{key}"

    def resolve(self, token: str) -> str | None:
        """Return the text behind a token, or None when it is unknown or malformed."""
        if token.startswith("="):
            return token[1:]
        if not token.startswith("#"):
            return None
        key = token[1:]
        text = self._items.get(key)
        if text is None and self._load is not None and key:
            text = self._load(key)
        if text is not None:
            self._remember(key, text)
        return text


@dataclass(slots=True)
class MenuEntry:
    """One command for setMyCommands and where it shows."""

    command: str
    description: str
    private: bool = True
    group: bool = True


class Services(Protocol):
    """What handlers use of the bot's long-lived services (bot.app.Services), typed."""

    @property
    def store(self) -> FactStore: ...

    @property
    def push(self) -> Push | None: ...

    @property
    def fetch_policy(self) -> FetchPolicy | None: ...

    @property
    def chats(self) -> ChatSettings: ...

    @property
    def feeds(self) -> FeedBook: ...

    @property
    def query_texts(self) -> QueryTexts: ...

    @property
    def on_startup(self) -> Sequence[Callable[[App], Awaitable[None]]]: ...


# Awaited after an admin upload stored a document (push announcements).
IngestHook = Callable[[Message, "Context", "IngestReport"], Awaitable[None]]


@dataclass(slots=True)
class BotData:
    """Everything handlers need, typed (PTB creates it empty; `bind` fills it at build time)."""

    _services: Services | None = None
    admin_ids: frozenset[int] = frozenset()
    queries: QueryCache = field(default_factory=QueryCache)
    # (chat id, question message id) → our answer's message id, so an edited question edits
    # the answer (bounded: the oldest are forgotten; an edit of those gets a new reply).
    answers: OrderedDict[tuple[int, int], int] = field(default_factory=OrderedDict)
    menu: list[MenuEntry] = field(default_factory=list)
    on_ingested: list[IngestHook] = field(default_factory=list)

    def bind(self, services: Services, *, admin_ids: frozenset[int] = frozenset()) -> None:
        """Attach the services and settings-derived values."""
        self._services = services
        self.queries.attach(services.query_texts.save, services.query_texts.load)
        self.admin_ids = admin_ids

    @property
    def services(self) -> Services:
        """The bot's services (raises if the application was built without them)."""
        if self._services is None:
            raise RuntimeError("BotData.bind() was not called: no services")
        return self._services

    @property
    def store(self) -> FactStore:
        """The FactStore: questions, lists, documents, ingestion."""
        return self.services.store

    @property
    def push(self) -> Push | None:
        """The digest and announcement engine (None when delivery is not installed)."""
        return self.services.push

    @property
    def chats(self) -> ChatSettings:
        """Chats' digest settings (one unit of work per call)."""
        return self.services.chats

    def remember_answer(self, chat_id: int, question_id: int, answer_id: int, capacity: int = 5000) -> None:
        """Record which of our messages answers a question (for edits of the question)."""
        self.answers[(chat_id, question_id)] = answer_id
        while len(self.answers) > capacity:
            self.answers.popitem(last=False)

    def is_admin(self, user_id: int | None) -> bool:
        """True for users listed in ADMIN_IDS."""
        return user_id is not None and user_id in self.admin_ids

    def add_menu(self, command: str, description: str, *, private: bool = True, group: bool = True) -> None:
        """Add a command to the menus set at start-up (replacing an entry of the same name)."""
        self.menu = [m for m in self.menu if m.command != command]
        self.menu.append(MenuEntry(command, description, private, group))


Context = CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]
App = Application[
    ExtBot[None], Context, dict[Any, Any], dict[Any, Any], BotData, JobQueue[Context]
]
