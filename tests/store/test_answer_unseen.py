"""Failure classes seen on unseen news (blind proxy sets), each pinned on invented texts of its own."""

from __future__ import annotations

import pytest

from store.ingest.metadata import is_chrome
from store.question import parse
from store.service import FactStore
from tests.store.textkit import store_of_texts, top_figure

DOCS = {
    "jingmen.txt": (
        "荆门高新区前三季度经济运行稳中向好\n"
        "时间：2026年10月28日 09:30 来源：荆门日报\n"
        "核心提示：今年前三季度，荆门高新区实现地区生产总值612.7亿元，同比增长6.4%，高于全市0.8个百分点。\n"
        "前三季度，高新区规上工业增加值增长8.1%，固定资产投资增长10.6%。\n"
        "高新区新增专精特新企业12家，累计达到57家。\n"
        "投资80亿元的十万吨级负极材料扩能改造项目于2026年3月18日建成投产，建设工期 18 个月。\n"
        "去年，荆门高新区实现地区生产总值788.5亿元，增长5.9%。\n"
        "2025年，荆门高新区规上工业产值完成1320亿元，增长9.4%。\n"
        "今年全年，高新区力争规上工业产值突破1500亿元。\n"
        "上一篇：钟祥市前三季度GDP增长7.2% 新签约项目41个\n"
    ),
    "shiyan.txt": (
        "十堰经开区1—8月主要经济指标\n"
        "主要指标情况如下：\n"
        "指标名称　　　　　　1—8月累计　　　同比增长（%）\n"
        "外贸进出口总额（亿元）　　　86.4　　　　　7.2\n"
        "│ 实际利用外资（万美元）│ 5,230 │ 11.6 │\n"
        "在全省开发区考核中，襄阳经开区、十堰经开区排名分别前移3位和6位。\n"
        "十堰经开区全年实现营业收入1,018.6亿元，营业收入规模首次突破千亿元。\n"
    ),
}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> FactStore:
    return store_of_texts(tmp_path_factory.mktemp("unseen"), DOCS)


@pytest.mark.parametrize(
    ("question", "figure"),
    [
        # A text table whose unit stands in the row's label (…（亿元）  86.4  7.2; box-drawing too).
        ("十堰经开区1-8月外贸进出口总额多少亿", "86.4"),
        ("十堰经开区实际利用外资多少万美元", "5,230"),
        # 甲、乙分别前移3位和6位: the asked zone is listed second, its move is the second; 挪 is a move.
        ("十堰经开区在全省考核里往前挪了几位", "6位"),
        ("襄阳经开区排名前移了几位", "3位"),
        # A round milestone in words (突破千亿元) is not the exact figure beside it.
        ("十堰经开区营业收入规模多少", "1,018.6亿元"),
    ],
)
def test_tables_and_lists(store: FactStore, question: str, figure: str) -> None:
    assert figure in (top_figure(store, question) or ""), question


@pytest.mark.parametrize(
    ("question", "figure"),
    [
        # A lead under a label (核心提示：…) is the article's summary, not page furniture.
        ("荆门高新区前三季度GDP多少", "612.7亿元"),
        # A greeting is never read as a mistyped place (哈喽 is no slip of 哈密).
        ("哈喽 荆门高新区前三季度GDP多少", "612.7亿元"),
        # 一共 / 总共 ask for the total, not the 新增 figure beside it.
        ("荆门高新区专精特新企业一共有几家", "57家"),
        ("荆门高新区专精特新企业总共多少家？", "57家"),
        # 多久 asks for a duration: 工期18个月, not the day it opened.
        ("荆门那个负极材料扩能改造项目建了多久", "18 个月"),
        # 去年 asked with 全年: the title's period (前三季度) is this year's, not the past year's.
        ("荆门高新区去年全年GDP是多少", "788.5亿元"),
        # A target asked: the plan, even when the result names the place more fully.
        ("荆门高新区今年产值目标是多少", "1500亿元"),
        # A part of the year asked and no year: this year's figure, not last year's beside it.
        ("荆门高新区1-9月地区生产总值多少", "612.7亿元"),
    ],
)
def test_top_figure(store: FactStore, question: str, figure: str) -> None:
    assert figure in (top_figure(store, question) or ""), question


@pytest.mark.parametrize(
    "question",
    [
        # A part of the year asked (1-9月) and no year: last year's figure is not it.
        "荆门高新区1-9月规上工业产值多少",
        # The headline of the site's previous article is another article's news.
        "钟祥市前三季度GDP增长多少",
    ],
)
def test_no_answer(store: FactStore, question: str) -> None:
    assert store.ask(question) == [], question


def test_greeting_not_corrected_into_a_place() -> None:
    assert "哈密" not in parse("哈喽 荆门高新区GDP多少").text


@pytest.mark.parametrize(
    ("line", "chrome"),
    [
        ("核心提示：今年前三季度，某区实现地区生产总值612.7亿元，同比增长6.4%。", False),
        ("【摘要】1—5月，全区完成固定资产投资88亿元，增长9%。", False),
        ("核心提示：", True),
        ("上一篇：钟祥市前三季度GDP增长7.2% 新签约项目41个", True),
        ("下一篇：某区1—9月规上工业增加值增长8.2%", True),
    ],
)
def test_lead_and_neighbour_lines(line: str, chrome: bool) -> None:
    assert is_chrome(line) is chrome
