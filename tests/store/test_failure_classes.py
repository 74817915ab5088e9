"""One test per failure class of issue F, on a small invented document set (not the failing questions)."""

from __future__ import annotations

from pathlib import Path

import pytest

from store.answering import ask
from store.service import FactStore
from tests.store.textkit import store_of_texts, top_figure

DOCS = {
    "shaoxing.txt": (
        "绍兴高新区2024年经济运行情况\n"
        "2024年，绍兴高新区实现地区生产总值520.6亿元，同比增长7.2%。\n"
        "全年引进亿元以上项目80个，其中智能制造项目35个，总投资360亿元。\n"
        "外贸进出口总额全省排名第三，实际利用外资全省排名第五。\n"
        "营业收入达到1200亿元，同比增长8.5%。\n"
        "全区新增高新技术企业126家，入驻企业总数突破3000家。\n"
    ),
    "chengdu.txt": (
        "成都市2024年市场主体发展报告\n"
        "2024年，成都市新增市场主体35.2万户，同比增长6.1%。\n"
        "全省地区生产总值增长5.7%。\n"
    ),
}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> FactStore:
    return store_of_texts(tmp_path_factory.mktemp("docs"), DOCS)


@pytest.mark.parametrize(
    "question",
    ["绍兴高新区营业收入增长了多少", "你好，绍兴高新区营业收入增长了多少？谢谢", "麻烦问下绍兴高新区那边营收增长了多少呢",
     "绍兴高新区营业收入最新进展增长了多少"],
)
def test_fillers_and_unknown_words_do_not_refuse(store: FactStore, question: str) -> None:
    assert top_figure(store, question) == "8.5%"


def test_the_bold_figure_is_the_one_its_clause_asks_for(store: FactStore) -> None:
    assert top_figure(store, "绍兴高新区引进了几个智能制造项目") == "35个"
    assert top_figure(store, "绍兴高新区实际利用外资全省排第几") == "第五"
    assert top_figure(store, "绍兴高新区外贸进出口总额全省排名第几") == "第三"
    assert top_figure(store, "绍兴高新区2024年GDP多少") == "520.6亿元"
    assert top_figure(store, "绍兴高新区2024年GDP增长多少") == "7.2%"


def test_thresholds_are_never_the_answer(store: FactStore) -> None:
    answers = store.ask("绍兴高新区引进了多少个亿元以上项目")
    assert answers and answers[0].figure == "80个"
    assert all(a.figure != "亿元以上" for a in answers)


def test_the_quote_marks_the_figure_it_means(store: FactStore) -> None:
    top = store.ask("绍兴高新区入驻企业总数有多少家")[0]
    assert top.figure is not None and top.figure_at is not None
    assert top.text[top.figure_at : top.figure_at + len(top.figure)] == top.figure
    assert "3000家" in top.figure


@pytest.mark.parametrize("question", ["嘉兴高新区2024年GDP是多少", "杭州2024年地区生产总值多少"])
def test_another_place_is_never_the_answer(store: FactStore, question: str) -> None:
    reply = ask(store.index, question)
    assert reply.answers == []
    assert reply.missing is not None and reply.missing.requirement == "place"


def test_another_year_is_never_the_answer(store: FactStore) -> None:
    reply = ask(store.index, "绍兴高新区2023年地区生产总值是多少")
    assert reply.answers == [] and reply.missing is not None and reply.missing.period == "2023年"


def test_a_province_figure_does_not_answer_for_a_city(store: FactStore) -> None:
    assert top_figure(store, "成都2024年GDP增长多少") is None


def test_du_of_chengdu_is_part_of_the_name(store: FactStore) -> None:
    assert top_figure(store, "成都新增了多少户市场主体") == "35.2万户"


def test_traditional_question(store: FactStore) -> None:
    assert top_figure(store, "紹興高新區引進了幾個智能製造項目") == "35个"


def test_one_typo_in_a_place_name(store: FactStore) -> None:
    assert top_figure(store, "绍兴高薪区新增高新技术企业多少家") == "126家"


def test_missing_measure_is_named(store: FactStore) -> None:
    reply = ask(store.index, "绍兴高新区2024年社会消费品零售总额多少")
    assert reply.answers == []
    assert reply.missing is not None and reply.missing.measure == "社会消费品零售总额"


def test_no_answer_reply_says_what_is_missing(store: FactStore, tmp_path: Path) -> None:
    from render import replies

    missing = store.missing("嘉兴高新区2024年GDP是多少")
    reply = replies.no_answer_reply("嘉兴高新区2024年GDP是多少", [], lambda s: s, missing=missing)
    assert "资料里没有" in reply.text and "2024年" in reply.text
