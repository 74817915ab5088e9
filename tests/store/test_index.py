"""The answering index: text column search, gazetteer typos, snapshots and their invalidation."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from store import snapshot
from store.index import Gazetteer, SearchIndex, TextColumn, mine_names
from store.service import FactStore
from tests.dbkit import database_url

SAMPLE = st.lists(st.text(alphabet="青岛开发区京东方投资亿元ab，。", max_size=12), max_size=30)


@given(texts=SAMPLE, needle=st.text(alphabet="青岛开发区京东方投资亿元ab，", min_size=1, max_size=3))
def test_rows_containing_matches_a_plain_scan(texts: list[str], needle: str) -> None:
    column = TextColumn(texts)
    expected = [i for i, t in enumerate(texts) if needle in t]
    assert column.rows_containing(needle).tolist() == expected
    assert [column[i] for i in range(len(column))] == texts


LATIN = st.text(alphabet="青岛开发区京东方5GgRrCcEePp，\u212a😀É", max_size=10)


@given(texts=st.lists(LATIN, max_size=30), needle=st.text(alphabet="青岛开发区5GgRrCcEe\u212a😀É", min_size=1, max_size=4))
def test_pair_positions_find_what_a_case_insensitive_scan_finds(texts: list[str], needle: str) -> None:
    """Latin letters match either case (as re.IGNORECASE does), other characters exactly, emoji included."""
    column = TextColumn(texts)
    if any("a" <= ch.lower() <= "z" for ch in needle):
        pattern = re.compile(re.escape(needle), re.IGNORECASE)
        expected = [i for i, t in enumerate(texts) if pattern.search(t)]
    else:
        expected = [i for i, t in enumerate(texts) if needle in t]
    assert column.rows_containing(needle).tolist() == expected


@given(parts=st.lists(SAMPLE, min_size=1, max_size=4))
def test_a_column_extended_piece_by_piece_equals_one_built_whole(parts: list[list[str]]) -> None:
    column = TextColumn(parts[0])
    for more in parts[1:]:
        column = column.extended(more)
    whole = TextColumn([t for part in parts for t in part])
    assert column.blob == whole.blob and column.starts.tolist() == whole.starts.tolist()
    for name in ("keys", "offsets", "positions"):
        assert getattr(column.grams, name).tolist() == getattr(whole.grams, name).tolist()


@given(parts=st.lists(st.sets(st.integers(0, 199), max_size=60), max_size=5))
def test_a_union_of_row_lists_is_their_sorted_set(parts: list[set[int]]) -> None:
    arrays = [np.asarray(sorted(p), dtype=np.int32) for p in parts]
    expected = sorted(set().union(*parts))
    assert SearchIndex.union_rows(SimpleNamespace(size=200), arrays).tolist() == expected  # type: ignore[arg-type]


@given(texts=SAMPLE, data=st.data())
def test_a_column_without_some_rows_equals_one_built_from_the_rest(texts: list[str], data: st.DataObject) -> None:
    keep = np.asarray(data.draw(st.lists(st.booleans(), min_size=len(texts), max_size=len(texts))), dtype=bool)
    smaller = TextColumn(texts).without_rows(keep)
    whole = TextColumn([t for t, k in zip(texts, keep.tolist(), strict=True) if k])
    assert smaller.blob == whole.blob and smaller.starts.tolist() == whole.starts.tolist()
    for name in ("keys", "offsets", "positions"):
        assert getattr(smaller.grams, name).tolist() == getattr(whole.grams, name).tolist()


def test_chinese_look_ups_use_the_pair_positions_not_a_scan() -> None:
    column = TextColumn(["京东方青岛项目总投资81.7亿元。", "青岛西海岸新区", "RCEP"])
    column.blob = "\x00" * len(column.blob)  # a scan of the text would now find nothing
    assert column.rows_containing("青岛").tolist() == [0, 1]
    assert column.rows_containing("总投资81.7亿").tolist() == [0]
    assert column.rows_containing("rcep").tolist() == [2]
    assert column.rows_containing("青岛开发区").tolist() == []


def test_text_column_round_trips_through_its_blob() -> None:
    column = TextColumn(["京东方", "", "总投资81.7亿元。"])
    again = TextColumn.from_blob(column.blob, column.starts)
    assert [again[i] for i in range(3)] == ["京东方", "", "总投资81.7亿元。"]


def test_gazetteer_bridges_one_wrong_character_only() -> None:
    gaz = Gazetteer()
    gaz.add_alias_group("京东方", ["BOE"])
    gaz.add_name("股家河片区", typo=True)
    gaz.add_name("青岛市", typo=False)
    assert ("京东芳", "京东方") in gaz.typo_candidates("京东芳青岛项目")
    assert ("殷家河片区", "股家河片区") in gaz.typo_candidates("殷家河片区改造")
    assert not gaz.typo_candidates("京西芳")  # two characters off
    assert not [c for c in gaz.typo_candidates("青岛天气") if c[1] == "青岛市"]  # generic names stay exact
    assert gaz.expand("boe")[0] == "boe" and "京东方" in gaz.expand("BOE")


def test_mined_names_keep_the_core_of_a_place_name() -> None:
    names = dict(mine_names("总投资208亿元的股家河片区改造工程已近尾声"))
    assert names.get("股家河片区") is True
    assert names.get("股家河") is True


def _snapshot_dir(url: str) -> Path:
    directory = FactStore(url).index_dir
    assert directory is not None
    return directory


def test_snapshot_is_written_reused_and_brought_up_to_date(tmp_path: Path) -> None:
    url = database_url(tmp_path)
    first = FactStore.open(url)
    answers = [a.to_json() for a in first.ask("京东方青岛项目总投资多少？")]
    directory = _snapshot_dir(url)
    assert (directory / "meta.json").exists()

    second = FactStore.open(url)
    loaded = snapshot.load_index(directory)
    assert loaded is not None and loaded.doc_keys == snapshot.stored_documents(second._connect)
    built = TextColumn([loaded.texts[i] for i in range(loaded.size)]).grams
    assert loaded.texts.grams.positions.tolist() == built.positions.tolist()  # saved, not rebuilt wrong
    assert [a.to_json() for a in second.ask("京东方青岛项目总投资多少？")] == answers

    news = tmp_path / "news.txt"
    news.write_text("青岛西海岸新区\n\n2024年，西海岸新区新签约项目35个，总投资420亿元。\n", encoding="utf-8")
    second.ingest_paths([news])
    again = snapshot.load_index(directory)
    assert again is not None and len(again.documents) == 3
    third = FactStore.open(url)
    top = third.ask("西海岸新区新签约项目多少个？")
    assert top and "35个" in top[0].text


def _write(path: Path, n: int) -> Path:
    path.write_text(f"第{n}号新区\n\n2024年，第{n}号新区新签约项目{n + 10}个，总投资{n * 7}亿元。\n", "utf-8")
    return path


def test_a_snapshot_describes_the_documents_it_holds_not_the_database(tmp_path: Path) -> None:
    """Two processes over one database: the one that indexed less must not mark its snapshot current."""
    url = database_url(tmp_path)
    running = FactStore.open(url)
    running.warm()  # the bot's index: the two seed documents
    other = FactStore.open(url)  # `bot ingest` from another process
    other.ingest_paths([_write(tmp_path / f"n{i}.txt", i) for i in range(5)])
    # The running bot ingests an upload while it has not seen the five (its own refresh).
    running.ingest_paths([_write(tmp_path / "upload.txt", 99)])
    restarted = FactStore.open(url)
    assert len(restarted.documents()) == 8
    assert restarted.index.doc_keys == snapshot.stored_documents(restarted._connect)
    top = restarted.ask("第3号新区新签约项目多少个？")
    assert top and "13个" in top[0].text


def test_an_index_snapshot_is_brought_up_to_date_at_load(tmp_path: Path) -> None:
    from store.index import build_index

    url = database_url(tmp_path)
    FactStore.open(url).warm()
    directory = _snapshot_dir(url)
    before = (directory / "meta.json").read_text("utf-8")
    import sqlalchemy as sa

    from store import db
    from store.ingest.writer import ingest_paths

    # Another writer that never touches the snapshot.
    writer = FactStore(url)
    with db.session_scope(writer.engine) as session:
        ingest_paths([_write(tmp_path / "a.txt", 1)], session=session)
    with writer.engine.begin() as conn:
        seed_id = conn.execute(sa.select(sa.func.min(sa.column("id"))).select_from(sa.table("document"))).scalar()
        for table, key in (("fact", "document_id"), ("sentence", "document_id"), ("document", "id")):
            conn.execute(sa.table(table, sa.column(key)).delete().where(sa.column(key) == seed_id))
    store = FactStore.open(url)
    rebuilt = build_index(store._connect)
    assert sorted(store.index.documents) == sorted(rebuilt.documents)
    assert store.index.sentence_ids.tolist() == rebuilt.sentence_ids.tolist()
    assert (directory / "meta.json").read_text("utf-8") != before


def _damage_truncated_npz(directory: Path) -> None:
    data = (directory / "arrays.npz").read_bytes()
    (directory / "arrays.npz").write_bytes(data[: len(data) // 2])


def _damage_wrong_pickle(directory: Path) -> None:
    import pickle

    (directory / "objects.pickle").write_bytes(pickle.dumps({"vocab": 1, "facts": [2]}))


def _damage_pickle_garbage(directory: Path) -> None:
    (directory / "objects.pickle").write_bytes(b"not a pickle")


def _damage_meta(directory: Path) -> None:
    (directory / "meta.json").write_text('{"fingerprint": 3}', "utf-8")


def _damage_texts(directory: Path) -> None:
    path = directory / "texts.txt"
    path.write_text(path.read_text("utf-8").replace("京东方", "京东芳"), "utf-8")


def _damage_consistently(directory: Path) -> None:
    """A wrong pickle whose checksum was updated too: caught by the content checks."""
    import json
    import pickle

    (directory / "objects.pickle").write_bytes(pickle.dumps({"vocab": {}, "facts": None}))
    meta = json.loads((directory / "meta.json").read_text("utf-8"))
    meta["sha256"]["objects.pickle"] = snapshot._file_digest(directory / "objects.pickle")
    (directory / "meta.json").write_text(json.dumps(meta), "utf-8")


@pytest.mark.parametrize(
    "damage",
    [_damage_truncated_npz, _damage_wrong_pickle, _damage_pickle_garbage, _damage_meta, _damage_texts,
     _damage_consistently],
)
def test_a_damaged_snapshot_is_rebuilt_with_one_warning(
    tmp_path: Path, damage: Callable[[Path], None], caplog: pytest.LogCaptureFixture
) -> None:
    url = database_url(tmp_path)
    FactStore.open(url).warm()
    directory = _snapshot_dir(url)
    damage(directory)
    with caplog.at_level(logging.WARNING, logger="store"):
        store = FactStore.open(url)
        assert store.ask("贝卡尔特增资多少？")[0].figure == "5000万美元"
        assert store.ask("京东方青岛项目总投资多少？")
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "rebuilding" in warnings[0].getMessage(), warnings
    assert warnings[0].exc_info is None
    assert snapshot.load_index(directory) is not None  # rewritten, usable again


def test_extending_with_added_documents_equals_a_rebuild(tmp_path: Path) -> None:
    from store.answering import answer
    from store.index import build_index

    store = FactStore.open(database_url(tmp_path))
    store.warm()
    first = tmp_path / "a.txt"
    first.write_text("山东省\n\n2024年，山东省新签约项目35个，总投资420亿元，同比增长12%。\n", "utf-8")
    second = tmp_path / "b.txt"
    second.write_text("京东方\n\n京东方成都基地总投资465亿元，力争2025年量产。\n", "utf-8")
    reports = store.ingest_paths([first, second])
    assert [r.status for r in reports] == ["added", "added"]
    extended = store.index
    rebuilt = build_index(store._connect)
    assert extended.sentence_ids.tolist() == rebuilt.sentence_ids.tolist()
    assert extended.norm.tolist() == rebuilt.norm.tolist()
    for term in ("京东方", "山东省", "增长", "总投资", "成都"):
        a, b = extended.postings(term), rebuilt.postings(term)
        assert a is not None and b is not None and a.tolist() == b.tolist(), term
    for q in ("京东方成都基地总投资多少？", "京东方青岛项目总投资多少？", "山东省新签约项目多少个？"):
        assert [x.to_json() for x in answer(extended, q)] == [x.to_json() for x in answer(rebuilt, q)], q


def test_a_replaced_file_leaves_the_index_as_a_rebuild_would(tmp_path: Path) -> None:
    from store.answering import answer
    from store.index import build_index

    store = FactStore.open(database_url(tmp_path))
    store.warm()
    news = tmp_path / "news.txt"
    news.write_text("青岛西海岸新区\n\n2024年，西海岸新区新签约项目35个，总投资420亿元。\n", "utf-8")
    store.ingest_paths([news])
    news.write_text("青岛西海岸新区\n\n2024年，西海岸新区新签约项目41个，总投资515亿元。\n", "utf-8")
    assert [r.status for r in store.ingest_paths([news])] == ["replaced"]
    updated = store.index
    rebuilt = build_index(store._connect)
    assert updated.sentence_ids.tolist() == rebuilt.sentence_ids.tolist()
    assert sorted(updated.documents) == sorted(rebuilt.documents)
    for term in ("西海岸新区", "签约", "总投资"):
        a, b = updated.postings(term), rebuilt.postings(term)
        assert a is not None and b is not None and a.tolist() == b.tolist(), term
    question = "西海岸新区新签约项目多少个？"
    assert [x.to_json() for x in answer(updated, question)] == [x.to_json() for x in answer(rebuilt, question)]
    assert "41个" in answer(updated, question)[0].text


def test_the_document_set_version_moves_with_every_change_and_drives_refresh(tmp_path: Path) -> None:
    from store import db
    from store.documents import delete_documents, read_version

    url = database_url(tmp_path)
    running = FactStore.open(url)
    running.warm()
    other = FactStore.open(url)
    start = read_version(running._connect)
    assert not running.refresh_if_changed()  # nothing changed: one query, no work

    other.ingest_paths([_write(tmp_path / "a.txt", 1)])
    assert read_version(running._connect) == (start or 0) + 1
    assert running.refresh_if_changed() and len(running.documents()) == 3
    assert not running.refresh_if_changed()

    _write(tmp_path / "a.txt", 2)  # the same path, another text: replaced (CLI semantics)
    assert [r.status for r in other.ingest_paths([tmp_path / "a.txt"])] == ["replaced"]
    assert running.refresh_if_changed()
    assert {d.name for d in running.documents()} == {d.name for d in other.documents()}
    top = running.ask("第2号新区新签约项目多少个？")
    assert top and "12个" in top[0].text

    doomed = max(running.index.documents)
    with db.session_scope(other.engine) as session:
        delete_documents([doomed], session=session)
        session.commit()
    assert running.refresh_if_changed() and doomed not in running.index.documents


def test_a_snapshot_of_another_format_is_rebuilt_without_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import json

    url = database_url(tmp_path)
    FactStore.open(url).warm()
    meta_path = _snapshot_dir(url) / "meta.json"
    meta = json.loads(meta_path.read_text("utf-8"))
    _version, lexicon, documents = json.loads(meta["fingerprint"])
    meta["fingerprint"] = json.dumps([snapshot.FORMAT_VERSION - 1, lexicon, documents])
    meta_path.write_text(json.dumps(meta), "utf-8")
    with caplog.at_level(logging.INFO, logger="store"):
        store = FactStore.open(url)
        assert store.ask("贝卡尔特增资多少？")[0].figure == "5000万美元"
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("stale" in r.getMessage() for r in caplog.records)


def test_term_idf_is_the_idf_arrays_value_and_an_unknown_terms_idf(seeded_store: FactStore) -> None:
    import dataclasses

    index = seeded_store.index
    for term, tid in index.vocab.items():
        assert index.term_idf(term) == float(index.idf[tid])
    assert index.term_idf("\x00never seen") == float(np.log1p((index.size + 0.5) / 1.5))
    # An index whose idf array is another (a copy sharing the vocabulary) reads that one, not the first's floats.
    other = dataclasses.replace(index, idf=index.idf * 2)
    term = next(iter(index.vocab))
    assert other.term_idf(term) == float(index.idf[index.vocab[term]] * 2) != index.term_idf(term)


def test_has_postings_is_whether_the_postings_hold_a_row(seeded_store: FactStore) -> None:
    import dataclasses

    index = seeded_store.index
    for term in index.vocab:
        rows = index.postings(term)
        assert index.has_postings(term) == (rows is not None and len(rows) > 0)
    assert not index.has_postings("\x00never seen")
    # Offsets where the first term's postings are empty (another array): read anew.
    term = next(t for t, tid in index.vocab.items() if tid == 0)
    offsets = index.post_offsets.copy()
    offsets[1] = offsets[0]
    other = dataclasses.replace(index, post_offsets=offsets)
    assert index.has_postings(term) and not other.has_postings(term)
