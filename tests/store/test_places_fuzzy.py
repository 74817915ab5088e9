"""Typo-tolerant place recognition for questions: one substituted character, unambiguous, never a word."""

from __future__ import annotations

import time

import pytest

from store import places
from store.question import parse


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("石家装2023年GDP多少", "石家庄2023年GDP多少"),  # a city's short form, three characters
        ("呼和浩待经开区进出口", "呼和浩特经开区进出口"),  # four characters before a zone word
        ("昆朋市人口", "昆明市人口"),  # full name
        ("黑龙将2024年GDP", "黑龙江2024年GDP"),  # a province
        ("成督高新区营收", "成都高新区营收"),  # two characters before a zone word
        ("大连金浦新区", "大连金普新区"),  # a zone's own name
        ("请问,泗川GDP", "请问,四川GDP"),  # a bare two-character province opening a clause, rare typed character
    ],
)
def test_one_character_typos_are_corrected(typed: str, read: str) -> None:
    assert places.correct(typed) == read


@pytest.mark.parametrize(
    "text",
    [
        "全市GDP多少",  # 全国 is one character off, but 全市 is a word
        "本省新增项目",
        "新的项目有多少",  # 新疆: 的 is grammar, not a typo
        "重点景区接待游客",  # 点景区 cuts 重点 and is not 点军区
        "市场规模多大",
        "杭州湾滨海新城投资",  # the division word itself is never the typo (新城 ≠ 新区, 滨海新 ≠ 滨海县)
        "京东方之窗",  # 东方之 ≠ 东方市
        "河难省粮食产量",  # 河南省 or 河北省: ambiguous, left alone
        "西按市GDP",  # 西安市 or 西宁市: ambiguous
        "高薪区",  # a county's two-character name (高县) is never a correction
        "济南市GDP",  # exact names are untouched
    ],
)
def test_words_and_ambiguous_windows_are_left_alone(text: str) -> None:
    assert places.correct(text) == text


def test_known_names_are_kept() -> None:
    # 王台 is one character off 烟台, but a name the documents use (the caller says so) stays.
    assert places.correct("王台片区范围多大") != "王台片区范围多大"
    assert places.correct("王台片区范围多大", keep=[(0, 2)]) == "王台片区范围多大"


def test_offsets_are_unchanged_and_fuzzy_scan_finds_the_place() -> None:
    found = places.places_in_fuzzy("石家装高新区2023年营收")
    assert [(s, e, p.level) for s, e, p in found] == [(0, 6, "zone")]
    assert found[0][2].parent == "石家庄市"


def test_question_parsing_reads_the_corrected_place() -> None:
    q = parse("哈尔宾2023年GDP增长多少")
    assert [m.name for m in q.places] == ["哈尔滨市"]
    assert q.text.startswith("哈尔滨")


def test_correction_is_fast() -> None:
    places.correct("预热")  # build the indexes
    text = "请问石家装高新区2023年规模以上工业增加值增长多少，比全省平均高几个百分点？" * 5
    t0 = time.perf_counter()
    for _ in range(20):
        places.correct(text)
    assert (time.perf_counter() - t0) / 20 < 0.05


def test_an_ambiguous_typo_is_read_by_the_longer_name_it_makes() -> None:
    # 苏洲 is one character from 苏州 and from 株洲; only 苏州 makes a known zone with 工业园区.
    from store.places import correct

    assert correct("苏洲工业园区上市企业有几家").startswith("苏州工业园区")


def test_a_typo_is_not_read_as_a_place_of_another_city_than_the_one_named_before_it() -> None:
    from store.places import correct

    assert correct("南京江冬新区有多少企业").startswith("南京江北新区")
    assert correct("海口江冬新区有多少企业").startswith("海口江冬新区")  # 江北新区 is 南京's, not 海口's


def test_a_bare_two_character_window_is_only_read_at_a_clause_start_or_before_a_division_word() -> None:
    assert places._pair_may_be_read("泗川GDP", 0)  # opens the text
    assert places._pair_may_be_read("请问,泗川GDP", 3)  # opens a clause
    assert places._pair_may_be_read("看成督高新区", 1)  # a zone word follows
    assert not places._pair_may_be_read("今年泗川GDP", 2)  # inside a clause, nothing after it
    assert places.correct("今年泗川GDP") == "今年泗川GDP"


def _correct_window_by_window(text: str, keep: list[tuple[int, int]]) -> str:
    """correct() as first written: every start of every Han run, each length, one may_match() each."""
    covered = [False] * len(text)
    for s, e in [(s, e) for s, e, _ in places._scan(text)] + keep:
        for i in range(s, min(e, len(text))):
            covered[i] = True
    fixed = frozenset(i for m in places._KIND_WORDS.finditer(text) for i in range(m.start(), m.end()))
    chars = list(text)
    near = places._fuzzy_filter()
    for run in places._HAN.finditer(text):
        pos, run_end = run.start(), run.end()
        while pos < run_end:
            if covered[pos] or pos in fixed:
                pos += 1
                continue
            for length in places.FUZZY_LENGTHS:
                end = pos + length
                if end > run_end or any(covered[pos:end]) or not near.may_match(text[pos:end]):
                    continue
                surface = places._fuzzy_surface(text, pos, length, fixed)
                if surface is not None and places._fits_place_before(text, pos, surface):
                    chars[pos:end] = surface
                    for i in range(pos, end):
                        covered[i] = True
                    pos = end
                    break
            else:
                pos += 1
    return "".join(chars)


def _question_texts() -> list[str]:
    import json
    from pathlib import Path

    from store.normalize import normalize_question

    root = Path(__file__).resolve().parents[2]
    files = [*sorted((root / "tests" / "data").glob("*questions*.jsonl")), root.parent / "shared" / "corpus"
             / "news-dev" / "questions.jsonl"]
    return [normalize_question(json.loads(line)["q"]) for f in files if f.exists()
            for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_correction_stretch_by_stretch_is_the_window_by_window_correction() -> None:
    import random

    rng = random.Random(13)
    texts = _question_texts()
    slips = "兰洲市哈尔宾乌鲁木其石家装成督苏洲泗川江冬西按河难"
    corrected = 0
    for text in texts + [
        "".join(ch if rng.random() > 0.15 else rng.choice(slips) for ch in rng.choice(texts)) for _ in range(1500)
    ]:
        keep = [(a, a + rng.randint(1, 4)) for a in rng.sample(range(len(text) + 1), min(2, len(text) + 1))]
        for spans in ([], keep):
            expected = _correct_window_by_window(text, spans)
            assert places.correct(text, keep=spans) == expected, (text, spans)
            fixed, found = places.correct_and_find(text, keep=spans)
            assert fixed == expected and found == places.places_in(expected.lower()), (text, spans)
            corrected += expected != text
    assert corrected > 50  # the variants hold slips that are read
