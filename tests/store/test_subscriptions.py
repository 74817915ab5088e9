"""Subscription, delivery-claim, rotation and announcement repository tests (temp SQLite)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine

from store import subscriptions as subs
from store.db import init_db, make_engine
from store.models import Document, Fact, Sentence
from tests.dbkit import database_url, on_postgres

NOW = datetime(2024, 5, 1, 0, 30, tzinfo=UTC)


@pytest.fixture
def session(tmp_path):
    if on_postgres():
        engine = make_engine(database_url(tmp_path))
    else:  # in memory: these tests are about the queries, not the file
        engine = create_engine(
            "sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool
        )
    init_db(engine)
    with Session(engine, expire_on_commit=False) as s:
        yield s
    engine.dispose()


def _add_doc(session: Session, title: str = "青岛西海岸新区2023年经济", n_facts: int = 3) -> Document:
    doc = Document(name=f"{title}.txt", content_hash=title, title=title, regions=["青岛西海岸新区"], year=2023)
    session.add(doc)
    session.flush()
    for i in range(n_facts):
        sent = Sentence(document_id=doc.id, position=i, text=f"全年完成投资{100 + i}亿元，同比增长{i}%。")
        session.add(sent)
        session.flush()
        session.add(
            Fact(document_id=doc.id, sentence_id=sent.id, kind="money", span=f"{100 + i}亿元", label="投资")
        )
    caption = Sentence(document_id=doc.id, position=99, kind="caption", text="图为1号工地 孟君韬 摄")
    session.add(caption)
    session.flush()
    session.add(Fact(document_id=doc.id, sentence_id=caption.id, kind="count", span="1号"))
    session.commit()
    return doc


def test_subscribe_creates_then_reactivates_and_keeps_settings(session):
    sub = subs.subscribe(session=session, chat_id=-100, now=NOW, chat_type="supergroup", hour=8, minute=30, topics=["投资"])
    session.commit()
    assert (sub.active, sub.time_text, sub.topics, sub.timezone) == (True, "08:30", ["投资"], "Asia/Shanghai")
    assert subs.deactivate(session=session, chat_id=-100, reason="blocked")
    assert not subs.deactivate(session=session, chat_id=-100, reason="again")
    session.commit()
    again = subs.subscribe(session=session, chat_id=-100, now=NOW + timedelta(days=1))
    session.commit()
    assert again.id == sub.id
    assert (again.active, again.time_text, again.topics, again.deactivated_reason) == (True, "08:30", ["投资"], None)
    assert [s.chat_id for s in subs.active_subscriptions(session=session)] == [-100]


def test_schedule_change_is_stamped_only_when_time_or_zone_changes(session):
    subs.subscribe(session=session, chat_id=1, now=NOW, hour=8, minute=0)
    later = NOW + timedelta(hours=3)
    sub = subs.update_subscription(session=session, chat_id=1, now=later, topics=["港口"])
    assert sub is not None and subs.utc(sub.schedule_changed_at) == NOW
    sub = subs.update_subscription(session=session, chat_id=1, now=later, timezone="Asia/Tokyo")
    assert sub is not None and subs.utc(sub.schedule_changed_at) == later
    assert subs.update_subscription(session=session, chat_id=2, now=later, hour=9) is None


def test_a_day_is_claimed_once_even_when_asked_twice(session):
    day = date(2024, 5, 1)
    first = subs.claim_deliveries(session=session, claims=[(1, day, NOW), (2, day, NOW)], now=NOW)
    session.commit()
    assert [d.chat_id for d in first] == [1, 2]
    assert subs.begin_sending(session=session, delivery_id=first[0].id, now=NOW)
    assert not subs.begin_sending(session=session, delivery_id=first[0].id, now=NOW)
    subs.finish_delivery(session=session, delivery_id=first[0].id, status=subs.SENT, now=NOW, message_id=7)
    session.commit()
    # Chat 1 was sent, chat 2 is still pending: a second claim returns only chat 2's claim.
    second = subs.claim_deliveries(session=session, claims=[(1, day, NOW), (2, day, NOW)], now=NOW)
    assert [d.chat_id for d in second] == [2]
    assert subs.delivery_for(session=session, chat_id=1, local_date=day).message_id == 7
    # The next day is a new claim.
    assert len(subs.claim_deliveries(session=session, claims=[(1, day + timedelta(days=1), NOW)], now=NOW)) == 1


def test_recovery_resumes_pending_marks_sending_unknown_and_expires_old(session):
    day = date(2024, 5, 1)
    claims = subs.claim_deliveries(
        session=session,
        claims=[(1, day, NOW), (2, day, NOW), (3, day - timedelta(days=1), NOW - timedelta(days=1))],
        now=NOW,
    )
    subs.begin_sending(session=session, delivery_id=claims[1].id, now=NOW)
    session.commit()
    resumable, unknown, expired = subs.recover_deliveries(
        session=session, now=NOW + timedelta(minutes=30), grace=timedelta(hours=2)
    )
    session.commit()
    assert [d.chat_id for d in resumable] == [1]
    assert [d.chat_id for d in unknown] == [2]
    assert [d.chat_id for d in expired] == [3]
    counts = subs.delivery_counts(session=session)
    assert counts == {subs.PENDING: 1, subs.UNKNOWN: 1, subs.EXPIRED: 1}
    # An unknown day is never claimed again: at most one digest per chat per day.
    assert subs.claim_deliveries(session=session, claims=[(2, day, NOW)], now=NOW) == []


def test_migration_moves_subscription_deliveries_and_rotation(session):
    subs.subscribe(session=session, chat_id=-5, now=NOW, chat_type="group")
    subs.claim_deliveries(session=session, claims=[(-5, date(2024, 5, 1), NOW)], now=NOW)
    subs.record_digest_sent(session=session, chat_id=-5, fact_ids=[1, 2], restarted=False, digest_started_at=NOW, now=NOW)
    session.commit()
    assert subs.migrate_chat(session=session, old_chat_id=-5, new_chat_id=-1005)
    session.commit()
    assert subs.get_subscription(session=session, chat_id=-5) is None
    moved = subs.get_subscription(session=session, chat_id=-1005)
    assert moved is not None and moved.chat_type == "supergroup"
    assert subs.delivery_for(session=session, chat_id=-1005, local_date=date(2024, 5, 1)) is not None
    assert subs.sent_fact_ids(session=session, chat_id=-1005) == {1, 2}


def test_rotation_state_records_and_restarts(session):
    subs.subscribe(session=session, chat_id=9, now=NOW)
    subs.record_digest_sent(session=session, chat_id=9, fact_ids=[1, 2], restarted=False, digest_started_at=NOW, now=NOW)
    subs.record_digest_sent(session=session, chat_id=9, fact_ids=[2, 3], restarted=False, digest_started_at=NOW, now=NOW)
    assert subs.sent_fact_ids(session=session, chat_id=9) == {1, 2, 3}
    subs.record_digest_sent(session=session, chat_id=9, fact_ids=[4], restarted=True, digest_started_at=NOW, now=NOW)
    session.commit()
    assert subs.sent_fact_ids(session=session, chat_id=9) == {4}
    assert subs.utc(subs.get_subscription(session=session, chat_id=9).last_digest_at) == NOW


def test_announcement_claims_once_per_key_and_chat(session):
    first = subs.claim_announcements(session=session, key="doc:abc", chat_ids=[-1, -2, -1], text="x", now=NOW, document_id=1)
    session.commit()
    assert sorted(a.chat_id for a in first) == [-2, -1]
    assert subs.claim_announcements(session=session, key="doc:abc", chat_ids=[-1, -2], text="x", now=NOW) == []
    # A newly configured announce chat still gets the old document once.
    assert [a.chat_id for a in subs.claim_announcements(session=session, key="doc:abc", chat_ids=[-1, -3], text="x", now=NOW)] == [-3]
    minus_two = next(a for a in first if a.chat_id == -2)
    assert subs.begin_announcement(session=session, announcement_id=minus_two.id, now=NOW)
    session.commit()
    resumable = subs.recover_announcements(session=session, now=NOW, grace=timedelta(hours=2))
    assert sorted(a.chat_id for a in resumable) == [-3, -1]
    assert subs.announced_chats(session=session, key="doc:abc") == {-1, -2, -3}


def test_corpus_loads_facts_with_sentences_and_skips_captions(session):
    doc = _add_doc(session)
    corpus = subs.load_corpus(session=session)
    assert [d.title for d in corpus.documents] == [doc.title]
    assert corpus.documents[0].ingested_at is not None and corpus.documents[0].ingested_at.tzinfo is not None
    assert [f.span for f in corpus.facts] == ["100亿元", "101亿元", "102亿元"]
    assert corpus.facts[0].sentence.startswith("全年完成投资100亿元")
    version = subs.corpus_version(session=session)
    _add_doc(session, title="另一篇")
    assert subs.corpus_version(session=session) != version


def test_last_deliveries_lists_each_chats_latest_day(session):
    for day in (date(2024, 5, 1), date(2024, 5, 2)):
        subs.claim_deliveries(session=session, claims=[(1, day, NOW), (2, date(2024, 4, 1), NOW)], now=NOW)
    session.commit()
    latest = subs.last_deliveries(session=session)
    assert latest[1].local_date == date(2024, 5, 2) and latest[2].local_date == date(2024, 4, 1)


def test_next_digest_skips_a_local_day_already_served(session):
    sub = subs.subscribe(session=session, chat_id=77, now=NOW, hour=20, minute=0)  # 20:00 Shanghai
    today_slot = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    assert subs.next_digest_at(session=session, sub=sub, now=NOW) == today_slot
    subs.claim_deliveries(session=session, claims=[(77, date(2024, 5, 1), NOW)], now=NOW)
    assert subs.next_digest_at(session=session, sub=sub, now=NOW) == today_slot + timedelta(days=1)
