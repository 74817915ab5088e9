"""Units of work for the delivery engine: one session per call, run off the event loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from store.db import session_scope


class UnitOfWork:
    """Runs repository functions in their own transactions, one at a time per process."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """Open a session holding this process's DB lock (SQLite has one writer anyway)."""
        with self._lock, session_scope(self.engine) as session:
            yield session

    def tx(self, fn: Callable[..., Any], /, **kwargs: Any) -> Any:
        """Run one repository function in its own transaction and commit."""
        with self.session() as session:
            result = fn(session=session, **kwargs)
            session.commit()
            return result

    async def run(self, fn: Callable[..., Any], /, **kwargs: Any) -> Any:
        """Run one unit of work off the event loop (SQLModel sessions are blocking)."""
        return await asyncio.to_thread(self.tx, fn, **kwargs)
