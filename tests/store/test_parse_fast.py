"""The question parser's fast paths give exactly what the plain computations they replace give."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from store import answering, places
from store import question as qparse
from store.service import FactStore
from tests.store.conftest import load_jsonl

QUESTIONS = [q["q"] for name in ("questions.jsonl", "own_questions.jsonl", "blind_questions.jsonl")
             for q in load_jsonl(name)]


def test_parent_documents_are_those_naming_the_zones_city_twice(seeded_store: FactStore) -> None:
    index = seeded_store.index
    checked = 0
    for question in QUESTIONS:
        pq = answering.parse_question(question, index)
        plan = answering._plan(index, pq)
        for canon, docs in plan.parent_docs.items():
            rows = answering._entity_rows(index, plan.parents[canon][:2])
            found, counts = np.unique(index.doc_of_row[rows], return_counts=True)
            assert docs == set(found[counts >= answering.ABOUT_MIN_MENTIONS].tolist()), question
            checked += 1
    assert checked > 10


def test_the_zone_city_table_gives_what_each_question_would_read(
    seeded_store: FactStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = seeded_store.index
    answering.prepare(index)
    assert answering.built_already(answering._ZONE_CITIES, (index.doc_keys,))
    parsed = [answering.parse_question(q, index) for q in QUESTIONS]
    with_table = [answering._plan(index, pq) for pq in parsed]
    monkeypatch.setattr(answering, "built_already", lambda name, sources: None)
    without = [answering._plan(index, pq) for pq in parsed]
    assert sum(bool(p.parent_named) for p in with_table) > 10
    for a, b in zip(with_table, without, strict=True):
        assert (a.parent_named, a.parent_docs) == (b.parent_named, b.parent_docs)


_PIECES = st.lists(
    st.sampled_from(["\x01", "\x01\x01", "|", "你好", "请问", "青岛", "多少", "吗", "，", "哈尔滨", "a", "2023年", " ", "啊？"]),
    max_size=12,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(_PIECES, _PIECES)
def test_unmask_puts_back_each_masked_character(masked: str, text: str) -> None:
    text = (text * 3)[: len(masked)] if text else "字" * len(masked)
    text += "字" * (len(masked) - len(text))
    expected = "".join(ch if ch != "\x01" else text[i] for i, ch in enumerate(masked))
    assert qparse._unmask(masked, text) == expected


@settings(max_examples=300, deadline=None)
@given(_PIECES, st.lists(st.tuples(st.integers(0, 30), st.integers(0, 6)), max_size=3))
def test_fillers_are_stripped_as_character_by_character_masking_would(text: str, spans: list[tuple[int, int]]) -> None:
    protected = [(a, min(a + n, len(text))) for a, n in spans if a < len(text)]
    chars = list(text)
    for a, b in protected:
        for i in range(a, b):
            chars[i] = "\x01"
    out = list(qparse._FILLER_RE.sub(lambda m: "|" * len(m.group(0)), "".join(chars)))
    for a, b in protected:
        out[a:b] = text[a:b]
    assert qparse.strip_fillers(text, protected) == "".join(out)
    assert qparse._mask(text, protected) == "".join(chars)


def test_place_surfaces_are_those_of_every_zone_form() -> None:
    def plain(mention: qparse.PlaceMention) -> tuple[str, ...]:
        names = [mention.surface, mention.name, mention.short]
        for name in list(names):
            m = answering._CHINA_BRACKETS_RE.fullmatch(name)
            if m:
                names.extend((f"中国({m.group(1)}){m.group(2)}", m.group(1) + m.group(2)))
        for name in list(names):
            for long, shorts in answering._ZONE_FORMS:
                if name.endswith(long) and len(name) > len(long):
                    names.extend(name[: -len(long)] + s for s in shorts)
        return tuple(dict.fromkeys(n.lower() for n in names if n and len(n) >= 2))

    zones = places.zones()
    assert any(z.name.startswith("中国") for z in zones)
    for z in zones:
        for surface in {z.name, z.short}:
            mention = qparse.PlaceMention(surface, 0, len(surface), z.name, z.short, z.level, z.parent)
            assert answering._place_surfaces(mention) == plain(mention)


def test_single_characters_are_only_those_no_word_taken_covers(seeded_store: FactStore) -> None:
    index = seeded_store.index
    seen_single = 0
    for question in QUESTIONS:
        text = answering.parse_question(question, index).q.core
        covered = [False] * len(text)
        words = answering._term_index(index).spans(text)
        got = []
        for start, end in answering._term_spans(index, text, covered):
            got.append((start, end))
            if end - start >= 2 and start % 2 == 0:  # some words taken (the loop marks what it takes)
                covered[start:end] = [True] * (end - start)
        singles = [(i, i + 1) for i, ch in enumerate(text) if ch in index.vocab and not covered[i]]
        assert got == words + singles, question
        seen_single += len(singles) < sum(ch in index.vocab for ch in text)
    assert seen_single > 10  # covered characters were left out


_NAME_KEYS = ["青岛", "青岛开发区", "开发区", "西海岸新区", "海岸", "京东方", "a|b", "|x"]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(list("青岛开发区西海岸新京东方ab|x，的")), max_size=20),
    st.lists(st.integers(min_value=0, max_value=19), max_size=6),
    st.booleans(),
)
def test_spans_kept_are_the_spans_of_the_stripped_text(chars: list[str], cut: list[int], bar_keys: bool) -> None:
    from store.substrings import SubstringIndex

    known = SubstringIndex(_NAME_KEYS if bar_keys else _NAME_KEYS[:-2], 8)
    lowered = "".join(chars)
    stripped = "".join("|" if i in cut else ch for i, ch in enumerate(lowered))
    assert answering._spans_kept(known, stripped, lowered, known.spans(lowered)) == known.spans(stripped)
    shorter = stripped.replace("||", "|")  # punctuation runs collapsed: offsets no longer agree
    assert answering._spans_kept(known, shorter, lowered, known.spans(lowered)) == known.spans(shorter)
    assert answering._spans_kept(known, stripped, lowered, None) == known.spans(stripped)


def test_substring_index_knows_which_characters_its_keys_hold() -> None:
    from store.substrings import SubstringIndex

    known = SubstringIndex(["青岛", "a|b", "x"], 8)
    assert known.holds("|") and known.holds("青") and not known.holds("x") and not known.holds("海")
    assert known.holds("|")  # remembered
