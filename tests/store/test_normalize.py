"""Tests for store.normalize: width fold, traditional→simplified, spaced numbers, offset alignment."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from store.normalize import (
    aligned,
    fold_width,
    join_spaced_numbers,
    normalize_question,
    searchable,
    source_span,
    strip_pinyin_glosses,
    to_simplified,
)


def test_existing_functions_keep_working() -> None:
    assert fold_width("１２．５％") == "12.5%"
    assert fold_width("，。") == "，。"
    assert to_simplified("鎮江億元萬人") == "镇江亿元万人"
    assert normalize_question("  鎮江 去年 投資 多少？ ") == "镇江 去年 投资 多少？"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("总额407.8 亿元", "总额407.8亿元"),
        ("增长6 . 5%", "增长6.5%"),
        ("投资1 454亿元", "投资1454亿元"),
        ("超2. 2万亿元", "超2.2万亿元"),
        ("达 100 亿元", "达100亿元"),
        ("1. 2023年全市", "1. 2023年全市"),  # an item marker before a year stays apart
        ("2023-07-29 22:23:23", "2023-07-29 22:23:23"),
        ("GDP 100", "GDP 100"),
    ],
)
def test_spaced_numbers_are_joined(text: str, expected: str) -> None:
    assert join_spaced_numbers(text) == expected


def test_pinyin_glosses_are_removed_but_abbreviations_stay() -> None:
    assert strip_pinyin_glosses("示范區(qū)經(jīng)濟") == "示范區經濟"
    assert strip_pinyin_glosses("地区生产总值(GDP)") == "地区生产总值(GDP)"


def test_searchable_form_is_simplified_and_unspaced() -> None:
    assert searchable("總投資 12.5 億元，增長（zhǎng）6 . 5％") == "总投资12.5亿元，增长6.5%"
    assert normalize_question("總投資 12.5 億元") == "总投资12.5亿元"


def test_alignment_maps_spans_back_to_the_source() -> None:
    text = "\ufeff西寧開發區(qū)完成投資1 454 億元，增長6 . 5%"
    form, pos = aligned(text)
    assert len(form) == len(pos)
    assert all(to_simplified(fold_width(text[p])) == ch for ch, p in zip(form, pos, strict=True))
    i = form.index("1454亿元")
    a, b = source_span(pos, i, i + len("1454亿元"))
    assert text[a:b] == "1 454 億元"
    i = form.index("6.5%")
    a, b = source_span(pos, i, i + 4)
    assert text[a:b] == "6 . 5%"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("0123456789 .亿萬元區%，(qū)ab\u3000\ufeff１")), max_size=40))
def test_alignment_is_monotone_and_complete(text: str) -> None:
    form, pos = aligned(text)
    assert len(form) == len(pos)
    assert list(pos) == sorted(pos) and len(set(pos)) == len(pos)
    assert all(0 <= p < len(text) for p in pos)
    if form:
        a, b = source_span(pos, 0, len(form))
        assert 0 <= a <= b <= len(text)


# ---- to_simplified() skips OpenCC for a text with no character t2s may change -------------------


def _opencc_t2s(text: str) -> str:
    from store.normalize import _t2s

    return str(_t2s().convert(text))


def test_every_character_outside_the_class_is_kept_by_t2s() -> None:
    from store.normalize import _t2s_may_change

    pattern = _t2s_may_change()
    kept = [chr(cp) for cp in range(0x110000) if chr(cp) != "\n" and not pattern.match(chr(cp))]
    assert len(kept) > 50_000
    joined = "\n".join(kept)
    assert _opencc_t2s(joined) == joined


def test_every_phrase_t2s_changes_has_a_character_of_the_class(tmp_path: Path) -> None:
    import shutil
    import subprocess

    import opencc

    from store.normalize import _t2s_may_change

    clib = Path(opencc.__file__).parent / "clib"
    tool = clib / "bin" / "opencc_dict"
    if not tool.exists() or shutil.which(str(tool)) is None:
        pytest.skip("OpenCC's dictionary tool is not installed")
    pattern = _t2s_may_change()
    changed = 0
    for name in ("TSPhrases", "TSCharactersExt", "TSCharacters", "CJK_Compatibility_Ideographs"):
        out = tmp_path / f"{name}.txt"
        subprocess.run(
            [str(tool), "-i", str(clib / "share" / "opencc" / f"{name}.ocd2"), "-o", str(out), "-f", "ocd2", "-t", "text"],
            check=True, capture_output=True,
        )
        for line in out.read_text(encoding="utf-8").splitlines():
            key, values = line.split("\t")
            if values.split(" ")[0] != key:
                changed += 1
                assert pattern.search(key), (name, key, values)
    assert changed > 5_000


@pytest.mark.parametrize(
    ("text", "expected"),
    [("答覆", "答复"), ("深沈", "深沉"), ("瞭解到", "了解到"), ("鎮江億元", "镇江亿元"), ("镇江亿元", "镇江亿元"), ("GDP多少", "GDP多少")],
)
def test_to_simplified_converts_phrases_and_keeps_simplified_text(text: str, expected: str) -> None:
    assert to_simplified(text) == expected == _opencc_t2s(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["答覆", "深沈", "藉口", "沈", "覆", "鎮", "億", "镇江", "投资", "多少", "GDP", "，", " ", "2023"]), max_size=8))
def test_to_simplified_is_opencc_t2s(parts: list[str]) -> None:
    text = "".join(parts)
    assert to_simplified(text) == _opencc_t2s(text)


@pytest.mark.parametrize(
    ("question", "normalised"),
    [
        ("临港片区出口YoY多少", "临港片区出口同比增长多少"),
        ("工业产值 yoy 增长多少", "工业产值 同比 增长多少"),
        ("社零总额MoM是多少", "社零总额环比增长是多少"),
        ("YoYo公司和Mommy品牌", "YoYo公司和Mommy品牌"),  # inside a longer Latin word: left alone
    ],
)
def test_english_growth_abbreviations_read_in_chinese(question: str, normalised: str) -> None:
    assert normalize_question(question) == normalised
