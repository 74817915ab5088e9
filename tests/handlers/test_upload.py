"""Admin .txt uploads through getFile and the file URL; everyone else is refused politely."""

from __future__ import annotations

from render import texts
from tests.conftest import BotHarness
from tests.dbkit import database_url
from tests.fake_bot_api import parse_html

ARTICLE = (
    "测试新区：推动高质量发展\n\n"
    "2023年，测试新区计划总投资120亿元，建设35个重点项目。\n\n"
    "测试新区力争全年实际使用外资增长15%。\n"
)


async def test_non_admin_upload_is_refused(bot: BotHarness) -> None:
    update = bot.api.make_document(ARTICLE.encode(), file_name="t.txt", user_id=1001)
    call = await bot.exchange(update, predicate=lambda c: c.chat_id == 1001)
    assert parse_html(call.text) == texts.UPLOAD_NOT_ADMIN
    assert not bot.api.calls("getFile")


async def test_admin_upload_of_an_unsupported_file_is_refused(bot: BotHarness) -> None:
    update = bot.api.make_document(b"PK\x03\x04", file_name="a.xlsx", mime_type="application/zip", user_id=42)
    call = await bot.exchange(update, predicate=lambda c: c.chat_id == 42)
    assert parse_html(call.text) == texts.UPLOAD_BAD_TYPE


async def test_admin_upload_is_downloaded_and_ingested(tmp_path, fake_api) -> None:
    """Uses its own store so the shared seeded one stays at two documents."""
    from bot.app import Services, build_application, startup
    from store.service import FactStore
    from tests.conftest import BotHarness, make_settings

    store = FactStore.open(database_url(tmp_path, "upload"))
    app = build_application(make_settings(fake_api, admin_ids="42"), Services(store=store))
    await app.initialize()
    await startup(app)
    await app.updater.start_polling(poll_interval=0.0, timeout=5)
    await app.start()
    try:
        harness = BotHarness(fake_api, app)
        update = fake_api.make_document(ARTICLE.encode(), file_name="test_article.txt", user_id=42)
        call = await harness.exchange(update, predicate=lambda c: c.chat_id == 42, timeout=60)
        assert fake_api.calls("getFile")
        plain = parse_html(call.text)
        assert plain.startswith("已收录《"), plain
        assert len(store.documents()) == 3
        again = fake_api.make_document(ARTICLE.encode(), file_name="test_article.txt", user_id=42)
        call = await harness.exchange(again, predicate=lambda c: c.chat_id == 42, timeout=60)
        assert parse_html(call.text) == texts.UPLOAD_UNCHANGED
        answer = await harness.private("测试新区计划总投资多少？", user_id=42)
        assert "120亿元" in answer.text
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
