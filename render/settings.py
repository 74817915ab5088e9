"""Digest subscription replies: /settings with its buttons, /subscribe, /timezone, announce summaries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from render import texts
from render.html import esc
from render.replies import Button

CB_SETTINGS = "push"  # push:t:HHMM | push:z:<zone> | push:c | push:s | push:u | push:p


class SubscriptionView(Protocol):
    """What the settings replies show of a subscription (store.subscriptions.Subscription)."""

    @property
    def active(self) -> bool: ...

    @property
    def timezone(self) -> str: ...

    @property
    def topics(self) -> list[str]: ...

    @property
    def time_text(self) -> str: ...


def format_when(moment: datetime) -> str:
    """Return a local delivery time as 5月2日（周四）08:30."""
    weekday = texts.WEEKDAYS[moment.weekday()]
    return f"{moment.month}月{moment.day}日（周{weekday}）{moment:%H:%M}"


def topics_text(topics: Sequence[str]) -> str:
    """Return the topics as shown to users (escaped)."""
    return esc("、".join(topics)) if topics else texts.PUSH_ALL_TOPICS


def settings_text(
    sub: SubscriptionView | None, *, next_at: datetime | None, default_time: str, default_zone: str
) -> str:
    """Return the /settings message for a chat (subscribed or not); `next_at` in the chat's zone."""
    if sub is None:
        return texts.PUSH_SETTINGS.format(
            status=texts.PUSH_STATUS_OFF, time=default_time, zone=esc(default_zone),
            topics=texts.PUSH_ALL_TOPICS, next_line=texts.PUSH_NEXT_NONE,
        )
    next_line = (
        texts.PUSH_NEXT_LINE.format(next=format_when(next_at))
        if sub.active and next_at is not None
        else texts.PUSH_NEXT_NONE
    )
    return texts.PUSH_SETTINGS.format(
        status=texts.PUSH_STATUS_ON if sub.active else texts.PUSH_STATUS_OFF,
        time=sub.time_text, zone=esc(sub.timezone), topics=topics_text(sub.topics),
        next_line=next_line,
    )


def settings_buttons(sub: SubscriptionView | None) -> tuple[tuple[Button, ...], ...]:
    """Return the settings keyboard: preset times, preset zones, topics, on/off, preview."""

    def button(label: str, data: str) -> Button:
        return Button(label, f"{CB_SETTINGS}:{data}")

    current_time = sub.time_text if sub else None
    current_zone = sub.timezone if sub else None
    times = [
        button(("• " if t == current_time else "") + t, "t:" + t.replace(":", ""))
        for t in texts.PUSH_TIME_PRESETS
    ]
    zones = [
        button(("• " if z == current_zone else "") + label, "z:" + z)
        for label, z in texts.PUSH_TIMEZONE_PRESETS
    ]
    toggle = (
        button(texts.PUSH_BUTTON_UNSUBSCRIBE, "u")
        if sub is not None and sub.active
        else button(texts.PUSH_BUTTON_SUBSCRIBE, "s")
    )
    last = [toggle, button(texts.PUSH_BUTTON_PREVIEW, "p")]
    if sub is not None and sub.topics:
        last.insert(0, button(texts.PUSH_BUTTON_CLEAR_TOPICS, "c"))
    return tuple(tuple(row) for row in (times[:3], times[3:], zones[:4], zones[4:], last))


def subscribed_text(sub: SubscriptionView, next_at: datetime) -> str:
    """Return the confirmation of /subscribe: time, zone, topics and the first delivery."""
    return texts.PUSH_SUBSCRIBED.format(
        time=sub.time_text, zone=esc(sub.timezone), topics=topics_text(sub.topics),
        next=format_when(next_at),
    )


def timezone_set_text(zone: str, next_at: datetime | None) -> str:
    """Return the confirmation of /timezone with the next delivery in the new zone."""
    nxt = format_when(next_at) if next_at is not None else texts.PUSH_NEXT_NONE
    return texts.PUSH_TIMEZONE_SET.format(zone=esc(zone), next=nxt)


def announce_summary(*, sent: int, failed: int, total: int) -> str:
    """Return how an announcement went: sent to n of m chats, and failures if any."""
    text = texts.PUSH_ANNOUNCE_DONE.format(sent=sent, total=total)
    return text + (" " + texts.PUSH_ANNOUNCE_FAILED.format(failed=failed) if failed else "")
