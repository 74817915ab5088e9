"""Digest subscriptions, delivery claims, rotation state and announcements: tables and queries.

Repository functions take a keyword-only `session` and never commit: the caller commits at
its unit of work (a command, one delivery step, one fan-out claim batch).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    UniqueConstraint,
    bindparam,
    delete,
    func,
    or_,
    update,
)
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, Session, SQLModel, col, select

from store.digest import (
    Corpus,
    DigestDocument,
    DigestFact,
    DigestPlan,
    select_digest,
    utc,
)
from store.models import Document, Fact, Sentence
from store.redaction import redact

log = logging.getLogger(__name__)

DEFAULT_TIMEZONE = "Asia/Shanghai"

# Delivery / announcement states.  `pending` = claimed, never attempted; `sending` = an HTTP
# call may be in flight; `unknown` = the process died (or the connection broke) during that
# call, so Telegram may or may not have the message: it is never re-sent (at most once).
PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
UNKNOWN = "unknown"
EXPIRED = "expired"
EMPTY = "empty"
FINAL_STATES = frozenset({SENT, FAILED, UNKNOWN, EXPIRED, EMPTY})


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(dt: datetime) -> datetime:
    """Return an aware UTC datetime (SQLModel's datetime columns refuse naive values)."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


class Subscription(SQLModel, table=True):
    """A chat's daily digest subscription (time and topics in the chat's own time zone)."""

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_type=BigInteger, index=True, unique=True)
    chat_type: str = "private"
    title: str = ""
    active: bool = True
    hour: int = 8
    minute: int = 0
    timezone: str = DEFAULT_TIMEZONE
    topics: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=_now)
    # When time or time zone last changed: a slot before this is never caught up.
    schedule_changed_at: datetime = Field(default_factory=_now)
    last_digest_at: datetime | None = None  # start of the last sent digest's "new documents"
    changed_by: int | None = Field(default=None, sa_type=BigInteger)  # Telegram user id
    deactivated_reason: str | None = None
    # Forum topic the chat subscribed in (digests go there); None = the chat itself / General.
    message_thread_id: int | None = Field(default=None, sa_type=BigInteger)

    @property
    def time_text(self) -> str:
        """Return the delivery time as HH:MM."""
        return f"{self.hour:02d}:{self.minute:02d}"


class Delivery(SQLModel, table=True):
    """One chat's digest for one local day, claimed before sending so it is sent at most once."""

    __table_args__ = (UniqueConstraint("chat_id", "local_date", name="uq_delivery_chat_day"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_type=BigInteger, index=True)
    local_date: date
    slot_at: datetime  # the scheduled time (UTC) this delivery belongs to
    status: str = Field(default=PENDING, index=True)
    attempts: int = 0
    late: bool = False  # sent by the start-up catch-up rather than at its time
    claimed_at: datetime = Field(default_factory=_now)
    updated_at: datetime = Field(default_factory=_now)
    sent_at: datetime | None = None
    message_id: int | None = Field(default=None, sa_type=BigInteger)
    error: str | None = None
    # The process that moved it to `sending` (Push.holder_id): another process settles only
    # its stale claims, never a live replica's in-flight ones.
    claimed_by: str | None = None


class Lease(SQLModel, table=True):
    """A named lease one process holds until `expires_at` (the right to run digest fan-outs)."""

    name: str = Field(primary_key=True)
    holder: str = ""
    expires_at: datetime = Field(default_factory=_now)


class SentItem(SQLModel, table=True):
    """A figure already sent to a chat in the current rotation cycle."""

    __table_args__ = (UniqueConstraint("chat_id", "fact_id", name="uq_sentitem_chat_fact"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_type=BigInteger, index=True)
    fact_id: int
    sent_at: datetime = Field(default_factory=_now)


class Announcement(SQLModel, table=True):
    """One announcement (of a document or a free text) to one announce chat."""

    __table_args__ = (UniqueConstraint("key", "chat_id", name="uq_announcement_key_chat"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(index=True)  # doc:<content hash> | text:<random id>
    chat_id: int = Field(sa_type=BigInteger)
    document_id: int | None = None
    text: str = ""  # the HTML to post, so a resumed announcement needs nothing else
    status: str = Field(default=PENDING, index=True)
    attempts: int = 0
    created_at: datetime = Field(default_factory=_now)
    updated_at: datetime = Field(default_factory=_now)
    sent_at: datetime | None = None
    message_id: int | None = Field(default=None, sa_type=BigInteger)
    error: str | None = None


# --- schedule math (pure) -----------------------------------------------------------------------


def parse_hhmm(text: str) -> tuple[int, int] | None:
    """Parse 8:30, 08:30 or ０８：３０ into (hour, minute); None when it is not a valid time."""
    folded = text.strip().translate({0xFF1A: ":", **{0xFF10 + i: str(i) for i in range(10)}})
    head, sep, tail = folded.partition(":")
    if not sep or not head.isdigit() or not tail.isdigit() or len(tail) != 2 or len(head) > 2:
        return None
    hour, minute = int(head), int(tail)
    if hour > 23 or minute > 59:
        return None
    return hour, minute


def zone(name: str) -> ZoneInfo | None:
    """Return the IANA time zone, or None when the name is unknown."""
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        return None


def slot_on(day: date, hour: int, minute: int, tz: ZoneInfo) -> datetime:
    """Return the delivery time on one local day, as an aware datetime in the chat's zone."""
    return datetime.combine(day, time(hour, minute), tzinfo=tz)


def latest_slot(hour: int, minute: int, tz: ZoneInfo, now: datetime) -> datetime:
    """Return the most recent delivery time at or before `now`."""
    local = now.astimezone(tz)
    slot = slot_on(local.date(), hour, minute, tz)
    return slot if slot <= now else slot_on(local.date() - timedelta(days=1), hour, minute, tz)


def next_slot(hour: int, minute: int, tz: ZoneInfo, now: datetime) -> datetime:
    """Return the first delivery time after `now`."""
    local = now.astimezone(tz)
    slot = slot_on(local.date(), hour, minute, tz)
    return slot if slot > now else slot_on(local.date() + timedelta(days=1), hour, minute, tz)


def catch_up_slot(
    hour: int,
    minute: int,
    tz: ZoneInfo,
    *,
    now: datetime,
    grace: timedelta,
    scheduled_since: datetime,
) -> datetime | None:
    """Return the slot a restarted bot should still send late, or None.

    Only the latest slot counts, only if it passed at most `grace` ago, and only if the
    subscription already had that time then (a time set after its slot is not a missed one).
    """
    slot = latest_slot(hour, minute, tz, now)
    if now - slot > grace or slot < scheduled_since:
        return None
    return slot


def subscription_zone(sub: Subscription, default: str = DEFAULT_TIMEZONE) -> ZoneInfo:
    """Return a subscription's time zone (the default when the stored name is unknown)."""
    return zone(sub.timezone) or zone(default) or ZoneInfo("UTC")


# --- subscriptions ------------------------------------------------------------------------------


def get_subscription(*, session: Session, chat_id: int) -> Subscription | None:
    """Return a chat's subscription (active or not)."""
    return session.exec(select(Subscription).where(Subscription.chat_id == chat_id)).first()


def subscribe(
    *,
    session: Session,
    chat_id: int,
    now: datetime,
    chat_type: str = "private",
    title: str = "",
    hour: int | None = None,
    minute: int | None = None,
    topics: Sequence[str] | None = None,
    timezone: str | None = None,
    by: int | None = None,
    thread_id: int | None = None,
) -> Subscription:
    """Create or re-activate a chat's subscription; None arguments keep the stored value.

    `thread_id` is the forum topic subscribed in: digests go there (None: the chat itself).
    """
    sub = get_subscription(session=session, chat_id=chat_id)
    if sub is None:
        sub = Subscription(chat_id=chat_id, created_at=_aware(now))
    sub.active = True
    sub.deactivated_reason = None
    sub.chat_type = chat_type
    if title:
        sub.title = title
    if topics is not None:
        sub.topics = list(dict.fromkeys(t for t in topics if t))
    _apply_schedule(sub, hour=hour, minute=minute, timezone=timezone, now=now)
    sub.changed_by = by
    sub.message_thread_id = thread_id
    session.add(sub)
    session.flush()
    return sub


def _apply_schedule(
    sub: Subscription, *, hour: int | None, minute: int | None, timezone: str | None, now: datetime
) -> None:
    changed = sub.id is None
    if hour is not None and hour != sub.hour:
        sub.hour, changed = hour, True
    if minute is not None and minute != sub.minute:
        sub.minute, changed = minute, True
    if timezone is not None and timezone != sub.timezone:
        sub.timezone, changed = timezone, True
    if changed:
        sub.schedule_changed_at = _aware(now)


def update_subscription(
    *,
    session: Session,
    chat_id: int,
    now: datetime,
    hour: int | None = None,
    minute: int | None = None,
    topics: Sequence[str] | None = None,
    timezone: str | None = None,
    by: int | None = None,
) -> Subscription | None:
    """Change time, topics or time zone of an existing subscription; None when there is none."""
    sub = get_subscription(session=session, chat_id=chat_id)
    if sub is None:
        return None
    if topics is not None:
        sub.topics = list(dict.fromkeys(t for t in topics if t))
    _apply_schedule(sub, hour=hour, minute=minute, timezone=timezone, now=now)
    if by is not None:
        sub.changed_by = by
    session.add(sub)
    session.flush()
    return sub


def deactivate(*, session: Session, chat_id: int, reason: str) -> bool:
    """Switch a chat's subscription off (kept for its settings); True when it was active."""
    sub = get_subscription(session=session, chat_id=chat_id)
    if sub is None or not sub.active:
        return False
    sub.active = False
    sub.deactivated_reason = redact(reason)
    session.add(sub)
    session.flush()
    return True


def clear_thread(*, session: Session, chat_id: int) -> None:
    """Forget a chat's forum topic (deleted): its digests go to the chat itself."""
    session.execute(
        update(Subscription).where(col(Subscription.chat_id) == chat_id).values(message_thread_id=None)
    )


def active_subscriptions(*, session: Session) -> list[Subscription]:
    """Return every active subscription, ordered by chat id."""
    stmt = select(Subscription).where(col(Subscription.active)).order_by(col(Subscription.chat_id))
    return list(session.exec(stmt))


def all_subscriptions(*, session: Session) -> list[Subscription]:
    """Return every subscription, active first."""
    stmt = select(Subscription).order_by(col(Subscription.active).desc(), col(Subscription.chat_id))
    return list(session.exec(stmt))


def migrate_chat(*, session: Session, old_chat_id: int, new_chat_id: int) -> bool:
    """Move a chat's subscription, deliveries and rotation to its new (supergroup) id."""
    sub = get_subscription(session=session, chat_id=old_chat_id)
    if sub is None:
        return False
    if get_subscription(session=session, chat_id=new_chat_id) is not None:
        # The new chat already has its own settings: they win, the old row is retired.
        sub.active = False
        sub.deactivated_reason = f"migrated to {new_chat_id}"
        session.add(sub)
        session.flush()
        return False
    sub.chat_id = new_chat_id
    sub.chat_type = "supergroup"
    session.add(sub)
    taken = set(
        session.exec(select(col(Delivery.local_date)).where(Delivery.chat_id == new_chat_id)).all()
    )
    for delivery in session.exec(select(Delivery).where(Delivery.chat_id == old_chat_id)):
        if delivery.local_date not in taken:
            delivery.chat_id = new_chat_id
            session.add(delivery)
    session.execute(
        update(SentItem).where(col(SentItem.chat_id) == old_chat_id).values(chat_id=new_chat_id)
    )
    session.flush()
    return True


# --- deliveries ---------------------------------------------------------------------------------


def _insert_ignore(session: Session, table: type[SQLModel], rows: list[dict[str, object]]) -> None:
    """INSERT … ON CONFLICT DO NOTHING (SQLite and PostgreSQL), so claims are race-free."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(table).on_conflict_do_nothing(), rows)


def claim_deliveries(
    *,
    session: Session,
    claims: Iterable[tuple[int, date, datetime]],
    now: datetime,
    late: bool = False,
) -> list[Delivery]:
    """Claim (chat_id, local_date, slot_at) digests as pending; return the claims now pending.

    A chat that already has a row for that day keeps it: a day that was sent, failed or is
    unknown is never claimed again, which is what makes "one digest per chat per day" hold
    across restarts and across two processes.
    """
    claims = list(claims)
    rows: list[dict[str, object]] = [
        {
            "chat_id": chat_id,
            "local_date": day,
            "slot_at": _aware(slot),
            "status": PENDING,
            "attempts": 0,
            "late": late,
            "claimed_at": _aware(now),
            "updated_at": _aware(now),
        }
        for chat_id, day, slot in claims
    ]
    _insert_ignore(session, Delivery, rows)
    session.flush()
    wanted = {(chat_id, day) for chat_id, day, _ in claims}
    if not wanted:
        return []
    found: list[Delivery] = []
    chat_ids = sorted({c for c, _ in wanted})
    for chunk_start in range(0, len(chat_ids), 500):
        chunk = chat_ids[chunk_start : chunk_start + 500]
        stmt = select(Delivery).where(col(Delivery.chat_id).in_(chunk), Delivery.status == PENDING)
        found.extend(d for d in session.exec(stmt) if (d.chat_id, d.local_date) in wanted)
    return sorted(found, key=lambda d: d.id or 0)


def get_delivery(*, session: Session, delivery_id: int) -> Delivery | None:
    """Return one delivery by id."""
    return session.get(Delivery, delivery_id)


def delivery_for(*, session: Session, chat_id: int, local_date: date) -> Delivery | None:
    """Return a chat's delivery for one local day."""
    stmt = select(Delivery).where(Delivery.chat_id == chat_id, Delivery.local_date == local_date)
    return session.exec(stmt).first()


def _pending_to_sending(
    session: Session, model: type[Delivery] | type[Announcement], row_id: int, now: datetime
) -> bool:
    """Move one claim (a delivery or an announcement) from pending to sending, atomically."""
    result = session.execute(
        update(model)
        .where(col(model.id) == row_id, col(model.status) == PENDING)
        .values(status=SENDING, attempts=model.attempts + 1, updated_at=_aware(now))
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def begin_sending(*, session: Session, delivery_id: int, now: datetime) -> bool:
    """Move a claim from pending to sending; False when another worker or process owns it."""
    return _pending_to_sending(session, Delivery, delivery_id, now)


def finish_delivery(
    *,
    session: Session,
    delivery_id: int,
    status: str,
    now: datetime,
    error: str | None = None,
    message_id: int | None = None,
) -> None:
    """Record the outcome of a delivery attempt (pending again means it will be retried)."""
    values: dict[str, object] = {
        "status": status,
        "updated_at": _aware(now),
        "error": redact(error)[:500] if error else None,
    }
    if status == SENT:
        values.update(sent_at=_aware(now), message_id=message_id)
    # One UPDATE, no ORM load: this runs once per chat in a fan-out.
    session.execute(update(Delivery).where(col(Delivery.id) == delivery_id).values(**values))


def record_digest_sent(
    *,
    session: Session,
    chat_id: int,
    fact_ids: Sequence[int],
    restarted: bool,
    digest_started_at: datetime,
    now: datetime,
) -> None:
    """Remember what a sent digest contained: rotation figures and the new-documents cut-off."""
    if restarted:
        session.execute(delete(SentItem).where(col(SentItem.chat_id) == chat_id))
    _insert_ignore(
        session,
        SentItem,
        [{"chat_id": chat_id, "fact_id": f, "sent_at": _aware(now)} for f in fact_ids],
    )
    session.execute(
        update(Subscription)
        .where(col(Subscription.chat_id) == chat_id)
        .values(last_digest_at=_aware(digest_started_at))
    )


def sent_fact_ids(*, session: Session, chat_id: int) -> set[int]:
    """Return the figures sent to a chat in its current rotation cycle."""
    return set(session.exec(select(SentItem.fact_id).where(SentItem.chat_id == chat_id)).all())


# Batched forms of the per-delivery steps: a fan-out prepares and records many chats per
# transaction, which keeps SQLite and the ORM from dominating a 10,000-chat morning.


@dataclass(frozen=True, slots=True)
class SentDigest:
    """What to record about one digest Telegram accepted."""

    delivery_id: int
    chat_id: int
    message_id: int
    fact_ids: tuple[int, ...]
    restarted: bool
    started_at: datetime


def load_claims(
    *, session: Session, delivery_ids: Sequence[int]
) -> dict[int, tuple[Delivery, Subscription | None]]:
    """Return deliveries by id, each with its chat's subscription (None when there is none)."""
    out: dict[int, tuple[Delivery, Subscription | None]] = {}
    for start in range(0, len(delivery_ids), 500):
        chunk = list(delivery_ids[start : start + 500])
        stmt = (
            select(Delivery, Subscription)
            .join(Subscription, col(Subscription.chat_id) == col(Delivery.chat_id), isouter=True)
            .where(col(Delivery.id).in_(chunk))
        )
        for delivery, sub in session.exec(stmt):
            out[delivery.id or 0] = (delivery, sub)
    return out


def begin_sending_many(
    *, session: Session, delivery_ids: Sequence[int], now: datetime, holder: str | None = None
) -> set[int]:
    """Move pending claims to sending (claimed by `holder`); return the ids this caller now owns."""
    if not delivery_ids:
        return set()
    # PostgreSQL: rows another worker is claiming right now are skipped, not waited for
    # (FOR UPDATE SKIP LOCKED); SQLite has one writer at a time and renders no lock clause.
    free = (
        select(col(Delivery.id))
        .where(col(Delivery.id).in_(list(delivery_ids)), col(Delivery.status) == PENDING)
        .with_for_update(skip_locked=True)
    )
    stmt = (
        update(Delivery)
        .where(col(Delivery.id).in_(free.scalar_subquery()), col(Delivery.status) == PENDING)
        .values(status=SENDING, attempts=Delivery.attempts + 1, updated_at=_aware(now), claimed_by=holder)
        .returning(col(Delivery.id))
    )
    return {int(row[0]) for row in session.execute(stmt)}


def sent_fact_ids_many(*, session: Session, chat_ids: Sequence[int]) -> dict[int, set[int]]:
    """Return each chat's figures of the current rotation cycle."""
    out: dict[int, set[int]] = {c: set() for c in chat_ids}
    unique = sorted(set(chat_ids))
    for start in range(0, len(unique), 500):
        chunk = unique[start : start + 500]
        stmt = select(col(SentItem.chat_id), col(SentItem.fact_id)).where(
            col(SentItem.chat_id).in_(chunk)
        )
        for chat_id, fact_id in session.exec(stmt):
            out[chat_id].add(fact_id)
    return out


def record_sent_many(*, session: Session, sent: Sequence[SentDigest], now: datetime) -> None:
    """Mark digests sent and remember their rotation figures and new-documents cut-off."""
    if not sent:
        return
    deliveries = Delivery.__table__  # type: ignore[attr-defined]
    session.execute(
        deliveries.update()
        .where(deliveries.c.id == bindparam("b_id"))
        .values(
            status=SENT,
            sent_at=_aware(now),
            updated_at=_aware(now),
            error=None,
            message_id=bindparam("b_message"),
        ),
        [{"b_id": s.delivery_id, "b_message": s.message_id} for s in sent],
    )
    restarted = [s.chat_id for s in sent if s.restarted]
    if restarted:
        session.execute(delete(SentItem).where(col(SentItem.chat_id).in_(restarted)))
    _insert_ignore(
        session,
        SentItem,
        [
            {"chat_id": s.chat_id, "fact_id": f, "sent_at": _aware(now)}
            for s in sent
            for f in s.fact_ids
        ],
    )
    subscriptions = Subscription.__table__  # type: ignore[attr-defined]
    session.execute(
        subscriptions.update()
        .where(subscriptions.c.chat_id == bindparam("b_chat"))
        .values(last_digest_at=bindparam("b_since")),
        [{"b_chat": s.chat_id, "b_since": _aware(s.started_at)} for s in sent],
    )


def recover_deliveries(
    *, session: Session, now: datetime, grace: timedelta
) -> tuple[list[Delivery], list[Delivery], list[Delivery]]:
    """Settle claims left by a previous process: (resumable, marked unknown, expired).

    `sending` rows may have reached Telegram, so they become `unknown` and are not re-sent
    (at most once). `pending` rows were never attempted: they are resumed while their slot is
    within the grace window, otherwise they expire.
    """
    resumable: list[Delivery] = []
    unknown: list[Delivery] = []
    expired: list[Delivery] = []
    stmt = select(Delivery).where(col(Delivery.status).in_((PENDING, SENDING)))
    for d in session.exec(stmt):
        if d.status == SENDING:
            d.status, d.error = UNKNOWN, "process stopped during the send"
            unknown.append(d)
        elif now - (utc(d.slot_at) or now) > grace:
            d.status, d.error = EXPIRED, "not sent within the grace window"
            expired.append(d)
        else:
            resumable.append(d)
            continue
        d.updated_at = _aware(now)
        session.add(d)
    session.flush()
    return resumable, unknown, expired


def settle_stale_sends(*, session: Session, holder: str, stale_before: datetime, now: datetime) -> list[Delivery]:
    """Mark other processes' `sending` claims older than `stale_before` unknown (never re-sent); return them.

    A live replica's in-flight send is younger than the lease it sends under, so only the
    claims of a process that died (or lost the lease long ago) are settled.
    """
    stmt = select(Delivery).where(
        col(Delivery.status) == SENDING,
        col(Delivery.updated_at) <= _aware(stale_before),
        or_(col(Delivery.claimed_by).is_(None), col(Delivery.claimed_by) != holder),
    )
    settled = list(session.exec(stmt))
    for d in settled:
        d.status, d.error, d.updated_at = UNKNOWN, "process stopped during the send", _aware(now)
        session.add(d)
    session.flush()
    return settled


def expire_pending(*, session: Session, now: datetime, grace: timedelta) -> int:
    """Expire never-attempted claims whose slot left the grace window; return how many."""
    result = session.execute(
        update(Delivery)
        .where(col(Delivery.status) == PENDING, col(Delivery.slot_at) < _aware(now - grace))
        .values(status=EXPIRED, error="not sent within the grace window", updated_at=_aware(now))
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def pending_delivery_ids(*, session: Session, now: datetime, grace: timedelta) -> list[int]:
    """Ids of the claims waiting to be sent whose slot is within the grace window, oldest first."""
    stmt = (
        select(col(Delivery.id))
        .where(col(Delivery.status) == PENDING, col(Delivery.slot_at) >= _aware(now - grace))
        .order_by(col(Delivery.id))
    )
    return [int(i) for i in session.exec(stmt).all() if i is not None]


@dataclass(frozen=True, slots=True)
class Schedule:
    """When an active subscription's digest is due: its time, zone and when they were set."""

    chat_id: int
    hour: int
    minute: int
    timezone: str
    changed_at: datetime


def active_schedules(*, session: Session) -> list[Schedule]:
    """Every active subscription's schedule (one light query, no ORM objects)."""
    table = Subscription.__table__  # type: ignore[attr-defined]
    stmt = table.select().where(table.c.active.is_(True)).with_only_columns(
        table.c.chat_id, table.c.hour, table.c.minute, table.c.timezone, table.c.schedule_changed_at,
    )
    rows: list[tuple[int, int, int, str, datetime | None]] = [tuple(r) for r in session.execute(stmt).all()]  # type: ignore[misc]
    return [Schedule(c, h, m, tz, utc(changed) or _now()) for c, h, m, tz, changed in rows]


# --- leases -------------------------------------------------------------------------------------


def acquire_lease(*, session: Session, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Take or renew lease `name` for `holder` until now + ttl; False while another holder's is valid.

    One conditional UPDATE: on PostgreSQL concurrent takers serialise on the row and the loser
    re-reads it (no longer expired, other holder); SQLite has one writer.
    """
    _insert_ignore(session, Lease, [{"name": name, "holder": "", "expires_at": _aware(now - ttl)}])
    result = session.execute(
        update(Lease)
        .where(
            col(Lease.name) == name,
            or_(col(Lease.holder) == holder, col(Lease.expires_at) <= _aware(now)),
        )
        .values(holder=holder, expires_at=_aware(now + ttl))
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def release_lease(*, session: Session, name: str, holder: str, now: datetime) -> None:
    """Give lease `name` up at once if `holder` has it (another process may take it at its next tick)."""
    session.execute(
        update(Lease)
        .where(col(Lease.name) == name, col(Lease.holder) == holder)
        .values(expires_at=_aware(now))
    )


def lease_holder(*, session: Session, name: str, now: datetime) -> str | None:
    """The holder of a valid lease `name`, or None."""
    lease = session.get(Lease, name)
    if lease is None or (utc(lease.expires_at) or now) <= now:
        return None
    return lease.holder


def deliveries_on(
    *, session: Session, chat_ids: Iterable[int], days: Iterable[date]
) -> set[tuple[int, date]]:
    """Return which (chat, local day) pairs already have a delivery row of any status."""
    chat_list = sorted(set(chat_ids))
    day_list = sorted(set(days))
    found: set[tuple[int, date]] = set()
    for start in range(0, len(chat_list), 500):
        chunk = chat_list[start : start + 500]
        stmt = select(col(Delivery.chat_id), col(Delivery.local_date)).where(
            col(Delivery.chat_id).in_(chunk), col(Delivery.local_date).in_(day_list)
        )
        found.update((c, d) for c, d in session.exec(stmt).all())
    return found


def last_deliveries(*, session: Session) -> dict[int, Delivery]:
    """Return each chat's most recent delivery."""
    latest = (
        select(Delivery.chat_id, func.max(Delivery.local_date).label("day"))
        .group_by(col(Delivery.chat_id))
        .subquery()
    )
    stmt = select(Delivery).join(
        latest,
        (col(Delivery.chat_id) == latest.c.chat_id) & (col(Delivery.local_date) == latest.c.day),
    )
    return {d.chat_id: d for d in session.exec(stmt)}


def delivery_counts(*, session: Session, local_date: date | None = None) -> dict[str, int]:
    """Return how many deliveries are in each state (for one day, or overall)."""
    stmt = select(Delivery.status, func.count()).group_by(col(Delivery.status))
    if local_date is not None:
        stmt = stmt.where(Delivery.local_date == local_date)
    return {status: int(n) for status, n in session.exec(stmt).all()}


# --- announcements ------------------------------------------------------------------------------


def claim_announcements(
    *,
    session: Session,
    key: str,
    chat_ids: Sequence[int],
    text: str,
    now: datetime,
    document_id: int | None = None,
) -> list[Announcement]:
    """Claim one announcement per chat under `key`; return only the new claims."""
    existing = set(session.exec(select(Announcement.chat_id).where(Announcement.key == key)).all())
    rows: list[dict[str, object]] = [
        {
            "key": key,
            "chat_id": chat_id,
            "document_id": document_id,
            "text": text,
            "status": PENDING,
            "attempts": 0,
            "created_at": _aware(now),
            "updated_at": _aware(now),
        }
        for chat_id in dict.fromkeys(chat_ids)
        if chat_id not in existing
    ]
    _insert_ignore(session, Announcement, rows)
    session.flush()
    stmt = select(Announcement).where(Announcement.key == key, Announcement.status == PENDING)
    new = {int(r["chat_id"]) for r in rows}  # type: ignore[call-overload]
    return [a for a in session.exec(stmt) if a.chat_id in new]


def announced_chats(*, session: Session, key: str) -> set[int]:
    """Return the chats that already have an announcement under `key` (any state)."""
    return set(session.exec(select(Announcement.chat_id).where(Announcement.key == key)).all())


def begin_announcement(*, session: Session, announcement_id: int, now: datetime) -> bool:
    """Move an announcement from pending to sending; False when someone else owns it."""
    return _pending_to_sending(session, Announcement, announcement_id, now)


def finish_announcement(
    *,
    session: Session,
    announcement_id: int,
    status: str,
    now: datetime,
    error: str | None = None,
    message_id: int | None = None,
    chat_id: int | None = None,
) -> None:
    """Record the outcome of an announcement attempt (and a migrated chat's new id)."""
    ann = session.get(Announcement, announcement_id)
    if ann is None:
        return
    ann.status = status
    ann.updated_at = _aware(now)
    ann.error = redact(error)[:500] if error else None
    if chat_id is not None:
        ann.chat_id = chat_id
    if status == SENT:
        ann.sent_at = _aware(now)
        ann.message_id = message_id
    session.add(ann)
    session.flush()


def recover_announcements(
    *, session: Session, now: datetime, grace: timedelta, stale_before: datetime | None = None
) -> list[Announcement]:
    """Settle announcements left by a stopped process; return the pending ones to resume.

    A `sending` one last touched after `stale_before` (default: now) may be a live process's
    send in flight: it is left alone.
    """
    resumable: list[Announcement] = []
    stale = _aware(stale_before or now)
    stmt = select(Announcement).where(col(Announcement.status).in_((PENDING, SENDING)))
    for ann in session.exec(stmt):
        if ann.status == SENDING and (utc(ann.updated_at) or now) > stale:
            continue
        if ann.status == SENDING:
            ann.status, ann.error = UNKNOWN, "process stopped during the send"
        elif now - (utc(ann.created_at) or now) > grace:
            ann.status, ann.error = EXPIRED, "not sent within the grace window"
        else:
            resumable.append(ann)
            continue
        ann.updated_at = _aware(now)
        session.add(ann)
    session.flush()
    return resumable


# --- announcements waiting to be posted ---------------------------------------------------------


class PendingAnnouncement(SQLModel, table=True):
    """A stored document to announce, written in the transaction that stores the document.

    `bot ingest` (another process) only records these; the running bot, the one sender, turns
    them into `Announcement` claims (one post per document, or one summary for a large batch)
    in one transaction, so a crash loses none and posts none twice.
    """

    __tablename__ = "pending_announcement"

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(index=True)
    status: str = Field(default=PENDING, index=True)  # pending | claimed (turned into posts)
    claim: str | None = Field(default=None, index=True)
    created_at: datetime = Field(default_factory=_now)
    updated_at: datetime = Field(default_factory=_now)


# Session.info key: set True by whoever ingests documents that should be announced (`bot
# ingest` without --no-announce); the writer then records them in the same transaction.
ANNOUNCE_INFO = "announce_new_documents"


def record_pending_announcements(document_ids: Sequence[int], *, session: Session) -> None:
    """Record documents to announce when the session asks for it (inside their transaction)."""
    if not session.info.get(ANNOUNCE_INFO):
        return
    now = _now()
    for doc_id in dict.fromkeys(document_ids):
        session.add(PendingAnnouncement(document_id=doc_id, created_at=now, updated_at=now))
    session.flush()


def claim_pending_announcements(*, session: Session, claim: str, now: datetime) -> list[int]:
    """Take every pending document for this claim (compare-and-set); return their ids in order."""
    table = PendingAnnouncement
    session.execute(
        update(table)
        .where(col(table.status) == PENDING)
        .values(status="claimed", claim=claim, updated_at=_aware(now))
    )
    stmt = select(table.document_id).where(table.claim == claim).order_by(col(table.id))
    return list(dict.fromkeys(session.exec(stmt).all()))


def pending_announcement_count(*, session: Session) -> int:
    """How many documents wait to be announced."""
    stmt = select(func.count()).select_from(PendingAnnouncement).where(
        PendingAnnouncement.status == PENDING
    )
    return int(session.exec(stmt).one())


# --- texts behind buttons -----------------------------------------------------------------------


class QueryText(SQLModel, table=True):
    """A question or keyword too long for a button's callback data, under its content hash.

    Buttons carry the hash, so 「更多答案 ▶」 works after a restart and in any process.
    """

    __tablename__ = "query_text"

    key: str = Field(primary_key=True)
    text: str
    created_at: datetime = Field(default_factory=_now)


def save_query_text(*, session: Session, key: str, text: str) -> None:
    """Store a button's text under its hash (a repeated one is kept once)."""
    _insert_ignore(session, QueryText, [{"key": key, "text": text, "created_at": _now()}])


def load_query_text(*, session: Session, key: str) -> str | None:
    """The text stored under a button's hash, or None."""
    row = session.get(QueryText, key)
    return None if row is None else row.text


# --- digest content -----------------------------------------------------------------------------

_SKIP_SENTENCE_KINDS = ("caption", "byline", "chrome")


def _digest_document(doc: Document) -> DigestDocument:
    return DigestDocument(
        id=doc.id or 0,
        title=doc.title,
        regions=tuple(doc.regions or ()),
        date=doc.date,
        year=doc.year,
        ingested_at=utc(doc.ingested_at),
        key=doc.content_hash,
        name=doc.name,
        url=doc.url,
    )


def load_documents(*, session: Session, ids: Sequence[int] | None = None) -> list[DigestDocument]:
    """Return documents (all, or the given ids) in ingestion order."""
    stmt = select(Document).order_by(col(Document.id))
    if ids is not None:
        stmt = stmt.where(col(Document.id).in_(list(ids)))
    return [_digest_document(d) for d in session.exec(stmt)]


def load_facts(*, session: Session, document_ids: Sequence[int] | None = None) -> list[DigestFact]:
    """Return figures with their sentence text, in reading order."""
    # Plain columns, not ORM entities: the 10k archive has half a million figures.
    stmt = (
        sa_select(
            col(Fact.id), col(Fact.document_id), col(Fact.kind), col(Fact.span), col(Sentence.text),
            col(Fact.label), col(Fact.target), col(Fact.period), col(Fact.value),
        )
        .join(Sentence, col(Sentence.id) == col(Fact.sentence_id))
        .where(col(Sentence.kind).not_in(_SKIP_SENTENCE_KINDS))
        .order_by(col(Fact.document_id), col(Sentence.position), col(Fact.start))
    )
    if document_ids is not None:
        stmt = stmt.where(col(Fact.document_id).in_(list(document_ids)))
    # A sentence with several figures (and a label or kind on many) is one string in memory,
    # not one per row.
    shared: dict[str, str] = {}
    rows: Sequence[Any] = session.execute(stmt).all()
    return [
        DigestFact(
            id=fact_id or 0,
            document_id=doc_id,
            kind=shared.setdefault(kind, kind),
            span=span,
            sentence=shared.setdefault(text, text),
            label=shared.setdefault(label, label),
            target=target,
            period=period,
            value=value,
        )
        for fact_id, doc_id, kind, span, text, label, target, period, value in rows
    ]


def load_corpus(*, session: Session) -> Corpus:
    """Return every document and figure as plain data for digests (with targets' outcomes)."""
    from store.series import digest_outcomes

    return Corpus(
        tuple(load_documents(session=session)), tuple(load_facts(session=session)),
        tuple(digest_outcomes(session=session)),
    )


def corpus_version(*, session: Session) -> tuple[int, int, int]:
    """Return a cheap fingerprint that changes whenever documents are added or replaced."""
    docs = session.exec(select(func.count(), func.max(Document.id))).one()
    max_fact = session.exec(select(func.max(Fact.id))).one()
    return int(docs[0] or 0), int(docs[1] or 0), int(max_fact or 0)


def chat_digest(
    sub: Subscription | None,
    *,
    corpus: Corpus,
    local_date: date,
    now: datetime,
    sent_ids: set[int],
) -> DigestPlan:
    """Choose a chat's digest from its subscription (or defaults) and rotation state (pure)."""
    since = now - timedelta(days=1)
    if sub is not None:
        # The first digest covers the day before subscribing; later ones start where the
        # previous one ended.
        since = utc(sub.last_digest_at) or (utc(sub.created_at) or now) - timedelta(days=1)
    return select_digest(
        corpus,
        local_date=local_date,
        since=since,
        sent_ids=sent_ids,
        topics=sub.topics if sub is not None else (),
    )


def digest_for_chat(
    *,
    session: Session,
    chat_id: int,
    local_date: date,
    now: datetime,
    corpus: Corpus,
) -> DigestPlan:
    """Load a chat's settings and rotation state and choose its digest (nothing is recorded)."""
    return chat_digest(
        get_subscription(session=session, chat_id=chat_id),
        corpus=corpus,
        local_date=local_date,
        now=now,
        sent_ids=sent_fact_ids(session=session, chat_id=chat_id),
    )


def next_digest_at(*, session: Session, sub: Subscription, now: datetime) -> datetime:
    """Return when a subscription's next digest goes out (skipping a local day already served)."""
    tz = subscription_zone(sub)
    slot = next_slot(sub.hour, sub.minute, tz, now)
    if delivery_for(session=session, chat_id=sub.chat_id, local_date=slot.date()) is not None:
        slot = slot_on(slot.date() + timedelta(days=1), sub.hour, sub.minute, tz)
    return slot
