"""/targets, /projects, /sources, /source, /search end to end, with paging and bad arguments."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from render import texts
from tests.conftest import BotHarness, buttons
from tests.dbkit import database_url
from tests.fake_bot_api import FakeBotApi, parse_html


def numbers(text: str) -> list[int]:
    """The item numbers (`N. `) at the start of lines."""
    return [int(n) for n in re.findall(r"^(\d+)\. ", parse_html(text), re.MULTILINE)]


# --- /targets -------------------------------------------------------------------------------


async def test_targets_grouped_by_region_and_paged(bot: BotHarness) -> None:
    first = await bot.private("/targets")
    plain = parse_html(first.text)
    assert plain.startswith("🎯 目标与计划")
    assert "📍 青岛西海岸新区" in plain
    assert numbers(first.text)[0] == 1
    if not buttons(first):
        pytest.skip("all targets fit one page")
    second = await bot.press(first, texts.BUTTON_NEXT_PAGE)
    assert second.params["message_id"] == first.result["message_id"]
    assert numbers(second.text)[0] == numbers(first.text)[-1] + 1
    back = await bot.press(second, texts.BUTTON_PREV_PAGE)
    assert back.text == first.text


async def test_targets_for_one_region_by_alias(bot: BotHarness) -> None:
    call = await bot.private("/targets 西海岸新区")
    plain = parse_html(call.text)
    assert "西海岸新区的目标与计划" in plain
    assert "📍 青岛西海岸新区" in plain
    assert "📍 青岛经济技术开发区" not in plain


async def test_targets_for_an_unknown_region_lists_known_ones(bot: BotHarness) -> None:
    plain = parse_html((await bot.private("/targets 火星<b>")).text)
    assert plain.startswith("没有找到「火星<b>」的目标或计划")
    assert "已收录的地区：" in plain and "青岛西海岸新区" in plain


# --- /projects ------------------------------------------------------------------------------


async def test_projects_largest_investment_first(bot: BotHarness) -> None:
    call = await bot.private("/projects")
    plain = parse_html(call.text)
    assert plain.startswith("🏗 重大项目")
    assert numbers(call.text)[:2] == [1, 2]
    figures = re.findall(r"^\d+\. (\S+?亿元)", plain, re.MULTILINE)
    values = [float(f.removesuffix("亿元")) for f in figures]
    assert values == sorted(values, reverse=True)


async def test_projects_pages(bot: BotHarness) -> None:
    first = await bot.private("/projects")
    if not buttons(first):
        pytest.skip("all projects fit one page")
    second = await bot.press(first, texts.BUTTON_NEXT_PAGE)
    assert numbers(second.text)[0] == numbers(first.text)[-1] + 1


async def test_projects_with_keyword(bot: BotHarness) -> None:
    plain = parse_html((await bot.private("/projects 京东方")).text)
    assert "与「京东方」有关的项目" in plain
    assert "81.7亿元" in plain
    none = parse_html((await bot.private("/projects 火星")).text)
    assert none == texts.PROJECTS_NONE.format(keyword="火星")


# --- /sources and /source ---------------------------------------------------------------------


async def test_sources_lists_documents_with_counts(bot: BotHarness) -> None:
    plain = parse_html((await bot.private("/sources")).text)
    assert "已收录的文档（共 2 篇）" in plain
    assert "1. 青岛西海岸新区" in plain
    assert re.search(r"\d+ 条数据", plain)
    assert "2023" in plain


async def test_source_shows_summary_and_key_figures(bot: BotHarness) -> None:
    plain = parse_html((await bot.private("/source 2")).text)
    assert plain.startswith("2. 青岛经济技术开发区")
    assert "地区：青岛经济技术开发区" in plain
    assert "关键数据" in plain
    assert "81.7亿元" in plain


@pytest.mark.parametrize("argument", ["", "abc", "1 2", "-1", "²", "<b>"])
async def test_source_malformed_argument_names_the_usage(bot: BotHarness, argument: str) -> None:
    call = await bot.private(f"/source {argument}".strip())
    assert parse_html(call.text) == texts.SOURCE_USAGE


@pytest.mark.parametrize("argument", ["999", "0", "99999999999999999999999"])
async def test_source_unknown_number_says_which_exist(bot: BotHarness, argument: str) -> None:
    plain = parse_html((await bot.private(f"/source {argument}")).text)
    assert plain.startswith(f"没有编号为 {argument[:39]}")
    assert "/sources" in plain and "1–2" in plain


# --- /search --------------------------------------------------------------------------------


async def test_search_highlights_the_keyword(bot: BotHarness) -> None:
    call = await bot.private("/search 京东方")
    assert "<b>京东方</b>" in call.text
    assert "共找到" in parse_html(call.text)


async def test_search_pages(bot: BotHarness) -> None:
    first = await bot.private("/search 项目")
    assert buttons(first), "the seeds have more than one page of 项目"
    second = await bot.press(first, texts.BUTTON_NEXT_PAGE)
    assert numbers(second.text)[0] == numbers(first.text)[-1] + 1


async def test_search_usage_nothing_found_and_too_long(bot: BotHarness) -> None:
    assert parse_html((await bot.private("/search")).text) == texts.SEARCH_USAGE
    plain = parse_html((await bot.private("/search </code>&")).text)
    assert plain == texts.SEARCH_NONE.format(keyword="</code>&")
    long = parse_html((await bot.private("/search " + "字" * 60)).text)
    assert long == texts.KEYWORD_TOO_LONG.format(limit=50)


async def test_search_with_a_long_keyword_pages_through_the_cache(tmp_path: Path, fake_api: FakeBotApi) -> None:
    """A keyword too long for callback data rides as a cache token, and paging still works."""
    from bot.app import Services, build_application, startup
    from render.replies import TOKEN_BUDGET
    from store.service import FactStore
    from tests.conftest import make_settings

    keyword = "青岛西海岸新区国际经济合作区先进制造业重点项目"  # 23 characters, 69 bytes
    assert len(("=" + keyword).encode()) > TOKEN_BUDGET  # cannot ride literally
    article = tmp_path / "long.txt"
    article.write_text(
        "合作区项目建设\n\n"
        + "".join(f"{keyword}第{n}批开工{n + 3}个，总投资{n * 11}亿元。\n\n" for n in range(1, 10)),
        encoding="utf-8",
    )
    store = FactStore.open(database_url(tmp_path))
    assert [r.status for r in store.ingest_paths([article])] == ["added"]
    app = build_application(make_settings(fake_api), Services(store=store))
    await app.initialize()
    await startup(app)
    await app.updater.start_polling(poll_interval=0.0, timeout=5)
    await app.start()
    try:
        harness = BotHarness(fake_api, app)
        first = await harness.private(f"/search {keyword}")
        assert "共找到 9 句" in parse_html(first.text)
        data = [b["callback_data"] for b in buttons(first)]
        assert data and all(len(d.encode()) <= 64 for d in data)
        assert all(":#" in d for d in data), data  # the cache, not the keyword itself
        second = await harness.press(first, texts.BUTTON_NEXT_PAGE)
        assert numbers(second.text)[0] == numbers(first.text)[-1] + 1
        assert "第6批" in parse_html(second.text) and "第1批" not in parse_html(second.text)
        back = await harness.press(second, texts.BUTTON_PREV_PAGE)
        assert parse_html(back.text) == parse_html(first.text)
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


async def test_lists_in_groups(bot: BotHarness) -> None:
    group = -1005550001111
    for command in ("/targets", "/projects", "/sources", "/search 京东方"):
        call = await bot.group(command, chat_id=group)
        assert call.ok, command


async def test_search_in_traditional_characters_highlights_the_simplified_match(bot: BotHarness) -> None:
    call = await bot.private("/search 京東方")
    assert "<b>京东方</b>" in call.text


async def test_search_by_alias_highlights_the_name_found(bot: BotHarness) -> None:
    call = await bot.private("/search 黄岛开发区")
    assert "<b>青岛开发区</b>" in call.text or "<b>青岛经济技术开发区</b>" in call.text
