"""A zone named in a question is the subject: another zone's figure (even of the same city) does not answer it."""

from __future__ import annotations

import pytest

from store.service import FactStore
from tests.store.textkit import store_of_texts, top_figure

DOCS = {
    "hefei_jkq.txt": (
        "合肥经开区2024年经济运行情况\n"
        "2024年，合肥经开区实现地区生产总值1180.5亿元，同比增长6.3%。\n"
        "合肥经开区继合肥高新区之后，成为全市第二个营业收入突破3000亿元的开发区。\n"
        "全区新增市场主体9200户。\n"
    ),
    "nanjing_jkq.txt": (
        "南京经开区举行2024年集中签约活动\n"
        "栖霞组团（南京高新区栖霞园）和南京经开区集中签约项目共计56个，总投资420亿元。\n"
    ),
    "suzhou_city.txt": (
        "苏州市2024年国民经济和社会发展统计公报\n"
        "2024年，全市实现地区生产总值2.67万亿元，同比增长6.0%。\n"
        "苏州工业园区实现进出口总额6400亿元，同比增长4.1%。\n"
        "苏州高新区实现规模以上工业总产值4200亿元，同比增长5.5%。\n"
    ),
}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> FactStore:
    return store_of_texts(tmp_path_factory.mktemp("zone-docs"), DOCS)


def test_the_asked_zone_is_answered(store: FactStore) -> None:
    assert top_figure(store, "合肥经开区2024年GDP多少") == "1180.5亿元"
    assert top_figure(store, "合肥经开区新增市场主体多少户") == "9200户"


@pytest.mark.parametrize(
    "question",
    [
        "合肥高新区2024年GDP多少",  # only 合肥经开区's GDP is stated: same city, another zone
        "合肥高新区新增市场主体多少户",  # 全区 of a document about 合肥经开区
        "合肥高新区营业收入多少",  # named in the sentence, but 合肥经开区 is its subject
    ],
)
def test_another_zone_of_the_same_city_does_not_answer(store: FactStore, question: str) -> None:
    assert top_figure(store, question) not in {"1180.5亿元", "6.3%", "9200户", "3000亿元"}


def test_a_zone_in_brackets_is_an_aside(store: FactStore) -> None:
    assert top_figure(store, "南京经开区集中签约项目共计多少个") == "56个"


def test_a_city_document_answers_for_the_zone_it_names(store: FactStore) -> None:
    assert top_figure(store, "苏州高新区规模以上工业总产值多少") == "4200亿元"
    assert top_figure(store, "苏州工业园区进出口总额多少") == "6400亿元"
    assert top_figure(store, "苏州高新区进出口总额多少") != "6400亿元"  # 苏州工业园区's, not 苏州高新区's
