"""Question understanding on unseen news: measures, durations, regions, zones and slips, pinned on invented texts."""

from __future__ import annotations

import pytest

from store.metrics import metric_mentions, metric_synonyms
from store.question import parse
from store.service import FactStore
from tests.store.textkit import store_of_texts, top_figure

DOCS = {
    "yueyang.txt": (
        "岳阳市上半年经济运行稳中有进\n"
        "时间：2026年7月22日 来源：岳阳日报\n"
        "据岳阳市统计局发布的数据，上半年全市实现地区生产总值2315.6亿元，同比增长5.8%，增速排名全省第4位。\n"
        "上半年，全市进出口贸易总额完成412.3亿元，增长9.6%。\n"
        "城陵矶综合保税区上半年实现进出口总额156.2亿元，同比增长14.1%。\n"
        "总投资120亿元的岳阳绿色化工新材料一体化项目于今年4月开工，计划用时 30个月建成。\n"
        "洞庭湖国际观鸟节期间，游客在观鸟区内停留时间最长可达15天，门票免费。\n"
        "去年，临东新区绿色化工产业实现产值 862 亿元，同比增长 12 . 4%。\n"
        "截至6月底，临东新区拥有高新技术企业218家。\n"
    ),
    "huagong.txt": (
        "岳阳化工新区召开2027年经济工作会议\n"
        "时间：2027年2月12日 来源：岳阳日报\n"
        "2月10日，岳阳化工新区召开2027年经济工作会议。\n"
        "会议通报，2026年，岳阳化工新区实现地区生产总值 96 . 2 亿元，同比增长 6 . 8%。\n"
        "2027年，新区力争化工产业产值达到 1,050 亿元，地区生产总值增长 7%以上。\n"
        "在全省 142 家省级以上园区综合评价中，岳阳化工新区位列第 12 位。\n"
    ),
    "tongye.txt": (
        "岳阳经开区召开2026年项目建设大会\n"
        "时间：2026年3月5日 来源：岳阳日报\n"
        "3月4日，记者从岳阳经开区项目建设大会上获悉，2025年，岳阳经开区实现地区生产总值 312 亿元，增长 6.2%。\n"
        "2025年，经开区铜产业实现产值 215 亿元，增长 14.6%，铜材产量约占全省的三成。\n"
        "电子信息产业产值 98 亿元，增长 5.1%。\n"
    ),
    "hunan.txt": (
        "湖南开发区1—9月运行情况\n"
        "时间：2026年10月20日 来源：湖南日报\n"
        "全省开发区推行“拿地即开证”改革，工业项目从签约到开工平均用时压缩至36天。\n"
        "前三季度，全省开发区新开工项目412个，总投资1860亿元。\n"
        "到2028年，湖南力争5家省级以上开发区综合评价进入全国百强。\n"
    ),
    "wangcheng.txt": (
        "望城经开区上半年主要指标\n"
        "时间：2026年7月15日 来源：长沙晚报\n"
        "上半年，望城经开区实现地区生产总值186.4亿元，同比增长7.1%。\n"
    ),
}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> FactStore:
    return store_of_texts(tmp_path_factory.mktemp("recall"), DOCS)


@pytest.mark.parametrize(
    ("question", "figure"),
    [
        # A measure written with 总 inside it (贸易总额) is the one asked without it (贸易额).
        ("岳阳上半年进出口贸易额是多少", "412.3亿元"),
        # The region a rank is counted in, named by the question (湖南), is 全省 in a report about a city inside it.
        ("岳阳上半年GDP增速在湖南排第几", "第4位"),
        # The verb a duration is asked with (要建, 能待) need not be in the sentence: the duration answers it.
        ("岳阳绿色化工新材料一体化项目要建多久", "30个月"),
        ("观鸟节免费能待多久", "15天"),
        # A word said again outside the zone's name (化工 of 岳阳化工新区…化工产业) is content of its own.
        ("岳阳化工新区2027年化工产业目标是多少", "1,050 亿元"),
        # A name typed one character wrong is the name the documents use, not a place they never name.
        ("林东新区有几家高新技术企业", "218家"),
        # A zone named with another zone word (经济开发区 of 望城经开区).
        ("望城经济开发区上半年GDP多少", "186.4亿元"),
        # 园区 is what a document calls 开发区; 到开工 is 到 + 开工, no slip of the name 新开工.
        ("湖南园区项目从签约到开工要多久", "36天"),
        # 湖南打(算) is 湖南 + 打, no slip of 湖南省; 一百 is written 百 (百强); 打算 is the target asked.
        ("到2028年湖南打算让几家开发区进入全国前一百", "5家"),
        # A one-character word before a general noun (铜 of 铜产业) is what the question is about.
        ("岳阳经开区铜产业去年涨了多少", "14.6%"),
    ],
)
def test_answers(store: FactStore, question: str, figure: str) -> None:
    assert figure in (top_figure(store, question) or ""), question


@pytest.mark.parametrize(
    "question",
    [
        # A zone the documents never name is required, not dropped for another zone's figure.
        "汨罗经开区上半年GDP多少",
        "宁乡高新区上半年地区生产总值是多少",
    ],
)
def test_unknown_zone_gets_no_answer(store: FactStore, question: str) -> None:
    assert top_figure(store, question) is None, question
    assert not store.ask(question), question


def test_measure_with_or_without_total() -> None:
    assert "销售总额" in metric_synonyms("销售额")
    assert "利润额" in metric_synonyms("利润")
    assert [m[2] for m in metric_mentions("营业总额是多少")] == ["营业收入"]


@pytest.mark.parametrize(
    ("question", "kept", "gone"),
    [
        ("那个大桥项目要建多久", "大桥项目", "要建"),
        ("游客在免税区能待几天", "免税区", "能待"),
        ("审批要多长时间", "审批", "要"),
    ],
)
def test_duration_verb_is_no_content(question: str, kept: str, gone: str) -> None:
    q = parse(question)
    assert q.kind == "duration"
    assert kept in q.core and gone not in q.core


def test_word_said_again_outside_a_name_is_content(store: FactStore) -> None:
    """稀土 of 包头稀土高新区稀土产业: the second time it is what is asked about, not the zone's name."""
    from store.answering import _plan, parse_question

    pq = parse_question("岳阳化工新区2027年化工产业目标是多少", store.index)
    assert "化工" in pq.said_again
    assert "化工" in [t for t, _w in _plan(store.index, pq).plain]
    once = parse_question("岳阳化工新区2027年产业目标是多少", store.index)
    assert "化工" not in [t for t, _w in _plan(store.index, once).plain]


@pytest.mark.parametrize(("word", "forms"), [("一百", ("100", "百")), ("五十", ("50",)), ("两千", ("2000",))])
def test_numbers_in_words_match_their_other_writings(word: str, forms: tuple[str, ...]) -> None:
    from store.answering import _other_words

    assert _other_words(word) == forms


@pytest.mark.parametrize(
    "question", ["湖南园区项目从签约到开工要多久", "到2028年湖南打算让几家开发区进入全国前一百"]
)
def test_no_slip_beside_a_word_or_name(store: FactStore, question: str) -> None:
    """A character beside a known word or name (到 + 开工, 湖南 + 打) is no slip of a longer name (新开工, 湖南省)."""
    from store.answering import parse_question

    assert parse_question(question, store.index).corrections == []


def test_one_character_word_before_a_general_noun_is_content(store: FactStore) -> None:
    """铜 of 铜产业 is what the question asks about, though one character long."""
    from store.answering import _plan, parse_question

    plain = [t for t, _w in _plan(store.index, parse_question("岳阳经开区铜产业去年涨了多少", store.index)).plain]
    assert "铜" in plain
