"""Settings, subscription and admin replies: escaped, valid HTML, buttons within Telegram's limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from render.admin import feeds_html, ingest_text, upload_reply
from render.replies import MAX_CALLBACK_DATA
from render.settings import settings_buttons, settings_text, subscribed_text, timezone_set_text
from store.views import IngestReport
from tests.fake_bot_api import parse_html


@dataclass
class Sub:
    active: bool = True
    timezone: str = "Asia/Shanghai"
    topics: list[str] = field(default_factory=lambda: ["<港口>", "A&B"])
    time_text: str = "09:00"


@dataclass
class Feed:
    id: int = 1
    url: str = "https://a.cn/rss?x=1&y=<2>"
    name: str = "<园区>"
    interval_minutes: int = 30
    paused: bool = True
    last_status: str = "failed"
    last_error: str | None = "HTTP 500 <oops>"


def test_settings_escape_topics_and_show_the_next_delivery() -> None:
    when = datetime(2024, 5, 2, 8, 30)
    text = settings_text(Sub(), next_at=when, default_time="08:00", default_zone="Asia/Shanghai")
    assert "&lt;港口&gt;、A&amp;B" in text and "5月2日（周四）08:30" in text and "09:00" in text
    parse_html(text)
    parse_html(subscribed_text(Sub(), when))
    assert "5月2日（周四）08:30" in timezone_set_text("Asia/Tokyo", when)
    off = settings_text(None, next_at=None, default_time="08:00", default_zone="Asia/Shanghai")
    assert "08:00" in off
    parse_html(off)


def test_settings_buttons_mark_the_current_choice_and_fit_callback_data() -> None:
    rows = settings_buttons(Sub())
    buttons = [b for row in rows for b in row]
    assert any(b.text == "• 09:00" for b in buttons)
    assert all(len(b.data.encode()) <= MAX_CALLBACK_DATA and b.data.startswith("push:") for b in buttons)
    assert len([b for b in buttons if b.data == "push:c"]) == 1  # topics set: a clear button
    assert not any(b.data == "push:c" for row in settings_buttons(None) for b in row)


def test_ingest_reports_and_the_replace_button() -> None:
    refused = IngestReport(name="a<b>.txt", path="", status="refused", reason="a<b>.txt: 不是文本")
    assert ingest_text(refused, name="a<b>.txt", title=None).endswith("不是文本")
    assert "a&lt;b&gt;.txt" in ingest_text(refused, name="a<b>.txt", title=None)
    added = IngestReport(name="x.txt", path="", status="added", document_id=7, sentences=3, facts=2,
                         details={"same_name_ids": [5]})
    reply = upload_reply(added, name="x.txt", title="标题 <1>")
    assert "标题 &lt;1&gt;" in reply.text and reply.buttons[0][0].data == "rpl:5:7"
    parse_html(reply.text)


def test_feed_list_is_escaped() -> None:
    html = feeds_html([Feed()])
    assert "&lt;园区&gt;" in html and "HTTP 500 &lt;oops&gt;" in html and "&amp;y=&lt;2&gt;" in html
    parse_html(html)
