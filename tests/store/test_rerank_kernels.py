"""The rerank's compiled word filter (store/rerank_kernels.py) against the plain per-sentence form it replaces."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from store import answering as A
from store import kernels
from store.normalize import strip_pinyin_glosses
from store.rerank_kernels import (
    KEPT,
    TURNED_DOWN,
    UNDECIDED,
    entity_scan,
    lower_table,
    needle_table,
    word_filter,
)
from store.service import FactStore
from tests.store.conftest import load_jsonl

# Chinese, Latin of both cases, digits, brackets (a pinyin gloss), Greek, a character lower() makes two (İ) and
# one outside the BMP: every way the filter may read a text, or must leave it to the caller.
ALPHABET = "开发区项目投资增长园区aAbBgGdDpP59(（)）qūΣσİ𠀀"
VOCABULARY = ["开发区", "项目", "投资", "增长", "园区", "gdp", "GDP", "Gdp", "5g", "qū", "(qū)", "σ", "Σ", "İ", "𠀀区"]
WORDS = st.one_of(st.sampled_from(VOCABULARY), st.text(alphabet=ALPHABET, min_size=0, max_size=4))
# Texts and titles made of the words (so that they hold some), with other characters between.
TEXTS = st.lists(st.one_of(st.sampled_from(VOCABULARY), st.text(alphabet=ALPHABET, max_size=3)), max_size=8).map("".join)
WEIGHTS = st.floats(min_value=0.0, max_value=20.0, allow_nan=False, allow_infinity=False)


def _unreadable(char: str) -> bool:
    """A character the filter may leave to the caller: its lower case is not one character whatever comes before
    it (Σ after a letter is ς), or is a bracket (a pinyin gloss), or it is outside the BMP."""
    low = char.lower()
    return len(low) != 1 or low in "(（" or ord(char) > 0xFFFF or ("a" + char).lower() != "a" + low


def _reference(
    text: str, title: str, groups: list[tuple[tuple[str, ...], float]], titled: list[tuple[str, float]],
    plain_total: float, entity_weight: float, total: float,
) -> float | None:
    """The rerank's plain test of one sentence (store.answering._row_features): its matched weight, None if turned down."""
    searched = strip_pinyin_glosses(text.lower())
    matched = A._weight_in(groups, searched)
    if matched < plain_total:
        bonus: float = 0
        for t, w in titled:
            if t not in searched and t in title:
                bonus += w
        matched += A.SUBJECT_IN_DOCUMENT * bonus
    topic_missing = plain_total > 0 and matched / plain_total < A.MIN_TOPIC_COVERAGE
    if topic_missing or total <= 0 or (matched + entity_weight) / total < A.MIN_COVERAGE:
        return None
    return matched


def _filter(
    texts: list[str], titles: list[str], groups: list[tuple[tuple[str, ...], float]], is_titled: list[bool],
    plain_total: float, entity_weight: float, total: float, eligible: list[bool],
) -> tuple[list[int], list[float]]:
    blob = "".join(t + "\x00" for t in texts)
    starts = np.cumsum([0, *[len(t) + 1 for t in texts]])
    bounds = np.stack([starts[:-1], starts[1:] - 1], axis=1).astype(np.int64)
    title_starts = np.cumsum([0, *[len(t) for t in titles]]).astype(np.int64)
    codes, needle_starts, group_starts = needle_table(groups)
    status, matched = word_filter(
        blob, np.ascontiguousarray(bounds), np.asarray(eligible, dtype=np.bool_),
        np.arange(len(texts), dtype=np.int64), "".join(titles), title_starts, lower_table(), codes, needle_starts,
        group_starts, np.asarray([w for _g, w in groups], dtype=np.float64), np.asarray(is_titled, dtype=np.bool_),
        plain_total, entity_weight, total, A.MIN_TOPIC_COVERAGE, A.MIN_COVERAGE, A.SUBJECT_IN_DOCUMENT,
    )
    return status.tolist(), matched.tolist()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(
    texts=st.lists(TEXTS, min_size=1, max_size=6),
    data=st.data(),
    groups=st.lists(st.tuples(st.lists(WORDS, min_size=1, max_size=3), WEIGHTS, st.booleans()), max_size=5),
    entity_weight=WEIGHTS,
    unknown=WEIGHTS,
)
def test_word_filter_decides_as_the_plain_test(
    mode: str, texts: list[str], data: st.DataObject, groups: list[tuple[list[str], float, bool]], entity_weight: float,
    unknown: float,
) -> None:
    titles = [data.draw(TEXTS) for _ in texts]
    eligible = [data.draw(st.booleans()) for _ in texts]
    plain = [(tuple(strings), w) for strings, w, _t in groups]
    # A titled word is its group's first string (a term of the question, the others its synonyms), of 2+ characters.
    is_titled = [t and len(strings[0]) >= 2 for strings, _w, t in groups]
    titled = [(g[0][0], g[1]) for g, t in zip(plain, is_titled, strict=True) if t]
    plain_total = sum(w for _g, w in plain) + unknown
    total = plain_total + entity_weight
    status, matched = _filter(texts, titles, plain, is_titled, plain_total, entity_weight, total, eligible)
    for i, text in enumerate(texts):
        expected = _reference(text, titles[i], plain, titled, plain_total, entity_weight, total)
        if status[i] == UNDECIDED:
            # Left to the caller only for a document not known simplified, or a text lower() or a gloss would change.
            assert not eligible[i] or any(map(_unreadable, text)), text
        elif status[i] == TURNED_DOWN:
            assert expected is None, (text, titles[i])
        else:
            assert status[i] == KEPT and expected is not None, (text, titles[i])
            assert repr(matched[i]) == repr(float(expected)), (text, titles[i])


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=ALPHABET + "ABCXYZÀÉ", max_size=40))
def test_a_text_the_table_reads_is_lowered_character_by_character(text: str) -> None:
    table = lower_table()
    codes = [int(table[ord(c)]) if ord(c) < len(table) else -1 for c in text]
    if all(c >= 0 for c in codes):
        assert "".join(map(chr, codes)) == text.lower() == strip_pinyin_glosses(text.lower())
    else:
        assert any(map(_unreadable, text)), text


def test_needle_table_lists_each_groups_strings_in_order() -> None:
    codes, starts, group_starts = needle_table([(("项目", "工程"), 1.0), (("", "gdp"), 2.0)])
    strings = ["".join(map(chr, codes[starts[k] : starts[k + 1]])) for k in range(len(starts) - 1)]
    assert strings == ["项目", "工程", "", "gdp"]
    assert group_starts.tolist() == [0, 2, 4]


QUESTIONS = [q["q"] for name in ("questions.jsonl", "own_questions.jsonl") for q in load_jsonl(name)]


@pytest.mark.parametrize("share", [0, 1])
def test_rows_features_are_the_one_by_one_features(seeded_store: FactStore, share: int) -> None:
    """Every candidate of every question: the filtered rerank (compiled) gives what the plain per-row rerank gives."""
    kernels.compile_now()
    assert A.rerank_scan.fast is not None
    index = seeded_store.index
    kept = turned_down = 0
    for question in QUESTIONS[share::2]:
        pq = A.parse_question(question, index)
        if not pq.terms:
            continue
        plan = A._plan(index, pq)
        rows = A._bm25_candidates(index, pq, limit=A.RERANK_DEPTH)[0].tolist()
        if not rows:
            continue
        batched = A._rows_features(index, rows, pq, plan)
        bounds, docs, paras = A._read_rows(index, rows)
        for i, row in enumerate(rows):
            alone = A._row_features(index, row, bounds[i], docs[i], paras[i], pq, plan)
            assert batched[i] == alone, (question, row)
            kept += alone is not None
            turned_down += alone is None
    assert kept and turned_down


# Mostly texts the scan reads (no bracket, no character lower() maps otherwise), so that names recur in them.
PLAIN_WORDS = ["开发区", "项目", "投资", "园区", "gdp", "GDP", "全市", "经开区", "区"]
PLAIN_TEXTS = st.lists(st.one_of(st.sampled_from(PLAIN_WORDS), st.text(alphabet="开发区项目aAbB5", max_size=2)),
                       max_size=6).map("".join)
SCANNED_TEXTS = st.one_of(PLAIN_TEXTS, PLAIN_TEXTS, PLAIN_TEXTS, TEXTS)
NAMES = st.lists(st.one_of(st.sampled_from(PLAIN_WORDS), st.text(alphabet="开发区项目ab", min_size=1, max_size=2)),
                 max_size=3)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(
    texts=st.lists(SCANNED_TEXTS, min_size=1, max_size=4),
    title=SCANNED_TEXTS,
    entities=st.lists(st.tuples(NAMES, NAMES, NAMES, NAMES), max_size=3),
    previous=st.integers(min_value=0, max_value=2),
)
def test_entity_scan_finds_what_the_name_matchers_find(
    mode: str, texts: list[str], title: str, entities: list[tuple[list[str], list[str], list[str], list[str]]], previous: int,
) -> None:
    """Each flag is the search it stands for (store.answering._NameMatcher on the lower-cased texts, `in` on the title)."""
    rows = (["", "", *texts])[-3:]  # the two rows before the candidate (empty when absent), then the candidate
    count = min(previous, len(texts) - 1)
    blob = "".join(t + "\x00" for t in [*rows, "next"])
    starts = np.cumsum([0, *[len(t) + 1 for t in rows]]).astype(np.int64)[None, :]
    groups = [(tuple(strings), 0.0) for entity in entities for strings in entity]
    read, flags, nearest = entity_scan(
        blob, starts, np.array([count], dtype=np.int64), np.ones(1, dtype=np.bool_), np.zeros(1, dtype=np.int64),
        title, np.array([0, len(title)], dtype=np.int64), lower_table(), *needle_table(groups),
    )
    readable = not any(map(_unreadable, "".join(rows[2 - count :])))
    assert bool(read[0]) == readable
    if not readable:
        return
    text, before = rows[2].lower(), [r.lower() for r in rows[2 - count : 2]]
    for e, (names, tails, kinds, parents) in enumerate(entities):
        pattern = A._NameMatcher(tuple(names), tuple(tails))
        expected = (
            A.IN_SENTENCE * pattern.search(text)
            | A.NAME_IN_SENTENCE * any(x in text for x in names)
            | A.IN_TITLE * pattern.search(title)
            | A.KIND_WORD_NEAR * any(A._NameMatcher(tuple(kinds)).search(t) for t in [text, *before[-1:]])
            | A.PARENT_IN_TITLE * any(p in title for p in parents)
        )
        assert int(flags[0, e]) == expected, (names, tails, kinds, parents)
        hits = [i for i in range(count) if pattern.search(before[i])]
        assert int(nearest[0, e]) == (hits[-1] if hits else -1)


def test_named_nowhere_is_what_entity_evidence_finds_of_the_same_reading(seeded_store: FactStore) -> None:
    """For every reading entity_scan() may give of a candidate (each flag on or off, the previous rows naming the
    entity or not): _named_nowhere() only when _entity_evidence() gives None, and always then unless a required
    entity's name is in the sentence inside a longer name (which only _entity_evidence() reads)."""
    index = seeded_store.index
    checked = {True: 0, False: 0}
    for question in QUESTIONS[::3]:
        pq = A.parse_question(question, index)
        if not pq.terms:
            continue
        plan = A._plan(index, pq)
        entities = A._matching(plan).entities
        if len(entities) != 1:
            continue
        for row in A._bm25_candidates(index, pq, limit=A.RERANK_DEPTH)[0].tolist()[:12]:
            sen = A._sentence(index, row)
            if sen.doc is None:
                continue
            for flags in range(32):
                for nearest in (-1, 0):
                    reading = ([flags], [nearest])
                    sen.scanned = reading
                    # What the title says is the same for every row of a document: forget it between readings.
                    A._matching(plan).document_names.clear()
                    A._matching(plan).parent_document.clear()
                    nowhere = A._named_nowhere(index, pq, plan, sen.doc_id, reading)
                    evidence = A._entity_evidence(index, sen, pq, plan)
                    if nowhere:
                        assert evidence is None, (question, row, flags, nearest)
                    elif not (entities[0][3] and flags & A.NAME_IN_SENTENCE and not flags & A.IN_SENTENCE):
                        assert evidence is not None, (question, row, flags, nearest)
                    checked[nowhere] += 1
    assert checked[True] and checked[False]


def test_rejections_read_at_once_are_those_of_each_sentence(seeded_store: FactStore) -> None:
    """Why each candidate is turned down, its sentences read at once: what its own sentence's entities say."""
    index = seeded_store.index
    seen = set()
    for question in QUESTIONS[::4]:
        pq = A.parse_question(question, index)
        if not pq.terms:
            continue
        plan = A._plan(index, pq)
        rows = A._bm25_candidates(index, pq, limit=A.RERANK_DEPTH)[0].tolist()
        one_by_one = [
            "place" if A._entity_evidence(index, A._sentence(index, row), pq, plan) is None else "content"
            for row in rows
        ]
        assert A._rejections(index, rows, pq, plan) == one_by_one, question
        seen.update(one_by_one)
    assert seen == {"place", "content"}
