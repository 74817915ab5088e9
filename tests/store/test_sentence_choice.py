"""Which sentence of the right document answers: the measure asked, its period, target vs result (invented texts)."""

from __future__ import annotations

import pytest

from store.service import FactStore
from tests.store.textkit import store_of_texts, top_figure

DOCS = {
    "ningbo.txt": (
        "宁波石化经开区召开2026年经济工作会议\n"
        "2026年2月10日\n"
        "2月10日，宁波石化经开区召开2026年经济工作会议。\n"
        "会议通报，2025年，宁波石化经济技术开发区实现规上工业产值1820.5亿元，同比增长6.1%；\n"
        "新材料产值突破420亿元，增长9.3%；\n"
        "炼化一体化项目带动石化产值达到1150亿元，增长12.4%。\n"
        "会议提出，2026年，开发区新材料产值突破480亿元，力争石化产值达到1260亿元。\n"
    ),
    "wuhu.txt": (
        "芜湖高新区2025年经济运行稳中有进\n"
        "2026年1月20日\n"
        "2025年，芜湖高新技术产业开发区实现地区生产总值402.3亿元，同比增长6.2%；\n"
        "高端装备产业产值188.4亿元，增长7.9%；\n"
        "锂电及储能产业实现产值96.5亿元，增长21.4%。\n"
        "全年新开工38个产业项目，竣工投产25个。\n"
    ),
}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> FactStore:
    return store_of_texts(tmp_path_factory.mktemp("docs"), DOCS)


def test_a_word_of_the_zone_s_name_the_question_says_again_is_its_measure(store: FactStore) -> None:
    # 石化 is a word of 宁波石化经济技术开发区, but the question says it again of what it asks about: the lead sentence
    # (where it stands only inside the zone's name) and the 新材料产值 one are not the 石化产值 ones.
    assert top_figure(store, "宁波石化经开区去年石化产值增长了多少") == "12.4%"
    assert top_figure(store, "宁波石化经开区今年石化产值目标是多少") == "达到1260亿元"


def test_a_character_before_the_measure_word_is_what_it_is_of(store: FactStore) -> None:
    # 锂 is one character (no index word): the sentence of 锂电…产业 answers, not 高端装备产业 nor the zone's GDP.
    # …and 锂产业 is no slip of 个产业 (a fragment of 38个产业项目, no name).
    assert top_figure(store, "芜湖高新区锂产业去年涨了多少") == "21.4%"
