"""Gathers the database steps of concurrent sends into one thread hand-off and one transaction."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Batcher(Generic[T, R]):
    """Runs the items submitted while a batch is in the DB thread as the next batch.

    One thread hand-off and one transaction per batch instead of per chat: under a busy event
    loop each hand-off and each SQLite call waits for the GIL.
    """

    def __init__(self, run: Callable[[list[T]], list[R]], max_size: int = 200) -> None:
        self._run = run
        self._max = max_size
        self._queue: list[tuple[T, asyncio.Future[R]]] = []
        self._task: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        """Queue one item and wait for its result."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        self._queue.append((item, future))
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        await asyncio.sleep(0)  # let the other workers of this loop iteration queue too
        while self._queue:
            batch, self._queue = self._queue[: self._max], self._queue[self._max :]
            try:
                results = await asyncio.to_thread(self._run, [item for item, _ in batch])
            except Exception as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)
