"""Which figure of the right sentence is bold: its subject, its event, milestones, totals and durations (invented texts)."""

from __future__ import annotations

import pytest

from store import answering
from store.service import FactStore
from tests.store.textkit import store_of_texts, top_figure

DOCS = {
    "qiandongnan.txt": (
        "黔东南州上半年经济运行情况\n"
        "今年上半年，黔东南州地区生产总值增长4.6%，其中凯里市增长6.3%，增速居全州首位。\n"
    ),
    "shaoxing.txt": (
        "绍兴前三季度工业经济稳步回升\n"
        "1至9月，绍兴市规上工业增加值增长8.2%，其中柯桥区增长10.5%，上虞区增长9.1%。\n"
    ),
    "battery.txt": (
        "某新区重大项目建设提速\n"
        "总投资45亿元的固态电池材料项目于2024年9月签约，2025年2月开工建设，计划2026年6月建成投产。\n"
        "该商业综合体项目2023年4月动工，2025年1月建成开业，建设周期21个月。\n"
    ),
    "hightech.txt": (
        "高新区年度经济发展报告\n"
        "全年，高新区技工贸总收入达到2083.5亿元，同比增长9.7%，成为全省第二个技工贸总收入突破两千亿元的园区。\n"
        "截至年底，高新区市场主体总数突破5万户，达到51236户。\n"
        "今年以来，高新区新增国家级专精特新小巨人企业4家，累计达到21家。\n"
        "全年新认定高新技术企业三十八家，高新技术企业总数达到四百一十二家。\n"
    ),
    "bonded.txt": (
        "保税区建设进展\n"
        "2026年1月15日 来源：日报\n"
        "淮州综合保税区于2024年1月获批设立，同年12月通过验收，次年3月正式封关运作。\n"
        "全年规上工业产值目标1000亿元，实际完成862.4亿元，目标完成率86.2%。\n"
    ),
    "ordinal.txt": (
        "滨海新城获批设立\n"
        "滨海新城于2019年6月经国务院批复设立，是全国第7个国家级海洋经济示范区，综合实力居全省第3位。\n"
    ),
    "twin.txt": (
        "两个新城上半年主要经济指标\n"
        "上半年，南湖新城和北岸新城分别实现营业收入126.5亿元和84.2亿元，分别增长9.3%和12.8%。\n"
    ),
}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> FactStore:
    return store_of_texts(tmp_path_factory.mktemp("figure_clause"), DOCS)


@pytest.mark.parametrize(
    ("question", "figure"),
    [
        # The place named last before a figure is whose figure it is (其中X增长…).
        ("凯里市上半年GDP增长多少", "6.3%"),
        ("黔东南州上半年GDP增长多少", "4.6%"),
        ("上虞区1-9月规上工业增加值增长多少", "9.1%"),
        ("柯桥区1-9月规上工业增加值涨了多少", "10.5%"),
        # The event asked is the one in the figure's clause (签约/开工/投产 dates of one project).
        ("固态电池材料项目什么时候开工", "2025年2月"),
        ("固态电池材料项目啥时候签约的", "2024年9月"),
        ("固态电池材料项目什么时候投产", "2026年6月"),
        ("商业综合体项目什么时候开业", "2025年1月"),
        # 多久 asks for a duration, not a date.
        ("商业综合体项目建了多久", "21个月"),
        # A round milestone (突破两千亿元, 突破5万户) restates the exact figure beside it.
        ("高新区技工贸总收入是多少", "2083.5亿元"),
        ("高新区市场主体总数有多少户", "51236户"),
        # 一共/总数 asks for the total, 新增 for the new ones, in one sentence.
        ("高新区专精特新小巨人一共多少家", "21家"),
        ("高新区今年新增了几家专精特新小巨人", "4家"),
        ("高新区高新技术企业总共有多少家", "四百一十二家"),
        ("高新区新认定高新技术企业多少家", "三十八家"),
        # 同年12月 / 次年3月 are dates of the year named before them.
        ("淮州综合保税区什么时候通过验收", "同年12月"),
        ("淮州综合保税区什么时候封关运作", "次年3月"),
        # A plain round target (目标1000亿元) is not a milestone restating the result beside it.
        ("规上工业产值目标是多少", "1000亿元"),
        ("规上工业产值实际完成多少", "862.4亿元"),
        # 第几个 asks an ordinal of a designation (是全国第7个…); 排第几 a place in a ranking.
        ("滨海新城是全国第几个国家级海洋经济示范区", "第7个"),
        ("滨海新城综合实力在全省排第几", "第3位"),
        # 甲和乙分别…A和B, 分别增长a和b: the i-th name listed has the i-th figure (names outside the gazetteer too).
        ("北岸新城上半年营业收入多少", "84.2亿元"),
        ("北岸新城上半年营业收入增长多少", "12.8%"),
        ("南湖新城上半年营业收入增长多少", "9.3%"),
    ],
)
def test_the_figure_of_the_clause_asked(store: FactStore, question: str, figure: str) -> None:
    got = top_figure(store, question)
    assert got is not None and figure in got, (question, got)


def test_events_are_groups_of_words() -> None:
    assert answering._events_in("预计明年建成投产") == answering._events_in("量产") | answering._events_in("竣工")
    assert answering._events_in("增长8%") == frozenset()


@pytest.mark.parametrize(
    ("value", "round_"), [(1e11, True), (2e11, True), (50000.0, True), (1.0368e11, False), (51236.0, False), (0.0, False)]
)
def test_round_values(value: float, round_: bool) -> None:
    assert answering._is_round(value) is round_
