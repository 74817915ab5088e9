"""Typed bot_data (BotData), the handler context type and the bounded cache behind button data."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from telegram.ext import Application, CallbackContext, ExtBot, JobQueue

from handlers.render import TOKEN_BUDGET

if TYPE_CHECKING:
    from store.service import FactStore


class QueryCache:
    """Bounded LRU of texts (questions, keywords) that are too long to ride in callback data.

    A token is `=text` when it fits the callback budget (so the button survives a restart) and
    `#<n>` otherwise; `resolve` returns None for a token that has been evicted.
    """

    def __init__(self, capacity: int = 2000) -> None:
        self.capacity = capacity
        self._items: OrderedDict[int, str] = OrderedDict()
        self._next = 1

    def __len__(self) -> int:
        return len(self._items)

    def token(self, text: str, budget: int = TOKEN_BUDGET) -> str:
        """Return a short token that `resolve` turns back into `text`."""
        literal = "=" + text
        if len(literal.encode()) <= budget:
            return literal
        key = self._next
        self._next += 1
        self._items[key] = text
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)
        return f"#{key}"

    def resolve(self, token: str) -> str | None:
        """Return the text behind a token, or None when it expired or is malformed."""
        if token.startswith("="):
            return token[1:]
        if token.startswith("#") and token[1:].isdigit():
            key = int(token[1:])
            text = self._items.get(key)
            if text is not None:
                self._items.move_to_end(key)
            return text
        return None


@dataclass(slots=True)
class MenuEntry:
    """One command for setMyCommands and where it shows."""

    command: str
    description: str
    private: bool = True
    group: bool = True


@dataclass(slots=True)
class BotData:
    """Everything handlers need, typed (PTB creates it empty; `bind` fills it at build time)."""

    _store: FactStore | None = None
    admin_ids: frozenset[int] = frozenset()
    queries: QueryCache = field(default_factory=QueryCache)
    menu: list[MenuEntry] = field(default_factory=list)
    # The bot-level Services object; typed loosely so handlers never import bot/.
    services: Any = None
    # Awaited after an admin upload as hook(message, context, IngestReport) (push announcements).
    on_ingested: list[Any] = field(default_factory=list)

    def bind(
        self,
        store: FactStore,
        *,
        admin_ids: frozenset[int] = frozenset(),
        services: Any = None,
    ) -> None:
        """Attach the store and settings-derived values."""
        self._store = store
        self.admin_ids = admin_ids
        self.services = services

    @property
    def store(self) -> FactStore:
        """The FactStore (raises if the application was built without one)."""
        if self._store is None:
            raise RuntimeError("BotData.bind() was not called: no FactStore")
        return self._store

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
