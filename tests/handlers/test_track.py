"""/track, /compare and /export end to end against the fake Bot API (national reports ingested)."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from render import texts
from tests.conftest import BotHarness, buttons, make_settings, running_bot
from tests.fake_bot_api import FakeBotApi, parse_html

ROOT = Path(__file__).resolve().parents[2]
EXTERNAL = ROOT.parent / "shared" / "corpus" / "external"
NATIONAL = sorted(EXTERNAL.glob("gwr_*_national_*.txt"))
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def national_store(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Seeds plus the four national government work reports."""
    if len(NATIONAL) != 4:
        pytest.skip("../shared/corpus/external national reports are not present")
    from store.service import FactStore
    from tests.dbkit import database_url

    store = FactStore.open(database_url(tmp_path_factory.mktemp("national")))
    reports = store.ingest_paths(NATIONAL)
    assert all(r.ok for r in reports)
    store.warm()
    return store


@pytest.fixture
async def tbot(fake_api: FakeBotApi, national_store: Any) -> AsyncIterator[BotHarness]:
    async with running_bot(fake_api, make_settings(fake_api), national_store) as harness:
        yield harness


async def test_track_sends_chart_then_table(tbot: BotHarness) -> None:
    mark = tbot.api.mark()
    table = await tbot.private("/track 全国 国内生产总值增长")
    photos = tbot.api.calls("sendPhoto", since=mark)
    assert len(photos) == 1 and photos[0].ok
    _, png = photos[0].files["photo"]
    assert png.startswith(PNG) and len(png) > 10_000
    assert photos[0].seq < table.seq, "the chart comes first, the table follows"
    plain = parse_html(table.text)
    assert "全国 · 地区生产总值" in plain
    for line in ("2022　目标 5.5%左右 → 实际 3%　❌ 未完成", "2023　目标 5%左右 → 实际 5.2%　✅ 完成",
                 "2025　目标 5%左右 → 实际 —　⏳ 尚无结果"):
        assert line in plain
    assert "今年发展主要预期目标是：国内生产总值增长5.5%左右" in plain
    assert "政府工作报告 · 2023-03-05" in plain


async def test_track_without_metric_offers_metric_buttons(tbot: BotHarness) -> None:
    call = await tbot.private("/track 全国")
    labels = [b["text"] for b in buttons(call)]
    assert {"地区生产总值", "城镇新增就业"} <= set(labels)
    mark = tbot.api.mark()
    message = tbot.api.messages[(call.params["chat_id"], call.result["message_id"])]
    data = next(b["callback_data"] for b in buttons(call) if b["text"] == "城镇新增就业")
    tbot.api.push(tbot.api.make_callback_query(message, data))
    photo = await tbot.api.wait_for("sendPhoto", since=mark)
    table = await tbot.api.wait_for("sendMessage", since=mark)
    assert photo.ok and "城镇新增就业" in parse_html(table.text)
    assert "1100万人以上" in parse_html(table.text)


async def test_track_unknown_place_and_metric_get_choices(tbot: BotHarness) -> None:
    mark = tbot.api.mark()
    place = await tbot.private("/track 火星<b> GDP")
    assert parse_html(place.text).startswith("没有找到地区「火星<b>」的数据")
    assert "全国" in [b["text"] for b in buttons(place)]
    metric = await tbot.private("/track 全国 幸福指数")
    plain = parse_html(metric.text)
    assert "不认识指标「幸福指数」" in plain and buttons(metric)
    usage = await tbot.private("/track")
    assert parse_html(usage.text) == parse_html(texts.TRACK_USAGE)
    assert not tbot.api.calls("sendPhoto", since=mark), "never an empty chart"


async def test_compare_places(tbot: BotHarness) -> None:
    mark = tbot.api.mark()
    table = await tbot.private("/compare 城镇新增就业 全国 火星")
    photo = tbot.api.calls("sendPhoto", since=mark)
    assert len(photo) == 1 and photo[0].files["photo"][1].startswith(PNG)
    plain = parse_html(table.text)
    assert "没有找到这些地区的数据：火星" in plain
    assert "城镇新增就业 · 2024" in plain and "全国：1256万人" in plain
    bad = await tbot.private("/compare 幸福指数 全国")
    assert "不认识指标「幸福指数」" in parse_html(bad.text)
    usage = await tbot.private("/compare GDP")
    assert parse_html(usage.text) == parse_html(texts.COMPARE_USAGE)


async def test_export_csv_document(tbot: BotHarness) -> None:
    mark = tbot.api.mark()
    tbot.api.push(tbot.api.make_private_text("/export 全国 城镇调查失业率"))
    doc = await tbot.api.wait_for("sendDocument", since=mark)
    assert doc.ok
    name, data = doc.files["document"]
    assert name.endswith(".csv") and data.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows and {r["metric"] for r in rows} == {"城镇调查失业率"} and {r["place"] for r in rows} == {"全国"}
    assert any(r["kind"] == "target" and r["span"] == "5.5%以内" and r["year"] == "2022" for r in rows)
    whole = await tbot.private("/export 火星")
    assert "没有找到地区「火星」的数据" in parse_html(whole.text)


async def test_export_too_big_for_telegram_asks_to_narrow(
    tbot: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    from handlers import track

    monkeypatch.setattr(track, "MAX_EXPORT_BYTES", 100)
    mark = tbot.api.mark()
    reply = await tbot.private("/export")
    assert "超过 Telegram 的 50 MB 上限" in parse_html(reply.text)
    assert not tbot.api.calls("sendDocument", since=mark)
