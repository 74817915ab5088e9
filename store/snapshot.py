"""On-disk snapshot of the answering index, so a restart does not rebuild it from SQL."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from store.index import SearchIndex, TextColumn
from store.paths import LEXICON_DIR

log = logging.getLogger(__name__)

FORMAT_VERSION = 5
_ARRAYS = ("sentence_ids", "doc_of_row", "para_of_row", "post_offsets", "post_rows", "idf", "norm",
           "lengths", "fact_rows", "has_facts")
_OBJECTS = ("vocab", "facts", "documents", "gazetteer", "doc_texts_lower")


def snapshot_dir(sqlite_file: Path) -> Path:
    """Where the snapshot of a database file lives (beside it)."""
    return sqlite_file.with_name(sqlite_file.name + ".index")


def db_fingerprint(connect: Callable[[], Any]) -> str:
    """A string that changes whenever documents, sentences, facts or the alias table change."""
    conn = connect()
    try:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM document), (SELECT max(id) FROM document),"
            " (SELECT count(*) FROM sentence), (SELECT max(id) FROM sentence),"
            " (SELECT count(*) FROM fact), (SELECT max(id) FROM fact)"
        ).fetchone()
        # Row ids are reused after a delete: the documents' content hashes tell a replacement.
        contents = hashlib.sha256()
        for (content_hash,) in conn.execute("SELECT content_hash FROM document ORDER BY id"):
            contents.update(content_hash.encode())
    finally:
        conn.close()
    lexicon = hashlib.sha256()
    for name in ("aliases.tsv", "userdict.txt"):
        path = LEXICON_DIR / name
        if path.exists():
            lexicon.update(path.read_bytes())
    return json.dumps([FORMAT_VERSION, list(row), contents.hexdigest()[:16], lexicon.hexdigest()[:16]])


def save_index(index: SearchIndex, directory: Path, fingerprint: str) -> None:
    """Write the index atomically (a temporary folder renamed into place)."""
    started = time.perf_counter()
    tmp = directory.with_name(directory.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    np.savez(tmp / "arrays.npz", text_starts=index.texts.starts,
             **{name: getattr(index, name) for name in _ARRAYS})
    (tmp / "texts.txt").write_text(index.texts.blob, encoding="utf-8")
    with (tmp / "objects.pickle").open("wb") as fh:
        pickle.dump({name: getattr(index, name) for name in _OBJECTS}, fh, protocol=pickle.HIGHEST_PROTOCOL)
    (tmp / "meta.json").write_text(json.dumps({"fingerprint": fingerprint, "size": index.size}), "utf-8")
    old = directory.with_name(directory.name + f".old{os.getpid()}")
    if directory.exists():
        directory.rename(old)
    tmp.rename(directory)
    shutil.rmtree(old, ignore_errors=True)
    log.info("index snapshot written to %s in %.2fs", directory, time.perf_counter() - started)


def load_index(directory: Path, fingerprint: str) -> SearchIndex | None:
    """Load a snapshot if it matches the database's fingerprint, else None."""
    meta_path = directory / "meta.json"
    try:
        meta = json.loads(meta_path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if meta.get("fingerprint") != fingerprint:
        return None
    started = time.perf_counter()
    try:
        with np.load(directory / "arrays.npz") as data:
            arrays = {name: data[name] for name in (*_ARRAYS, "text_starts")}
        with (directory / "objects.pickle").open("rb") as fh:
            objects = pickle.load(fh)  # written by this program only, beside its own database
        texts = TextColumn.from_blob((directory / "texts.txt").read_text("utf-8"), arrays["text_starts"])
    except (OSError, ValueError, KeyError, pickle.UnpicklingError, EOFError) as exc:
        log.warning("index snapshot %s unreadable (%s); rebuilding", directory, exc)
        return None
    index = SearchIndex(
        texts=texts,
        **{name: arrays[name] for name in _ARRAYS}, **objects,
    )
    index.build_seconds = time.perf_counter() - started
    log.info("index snapshot loaded from %s in %.2fs", directory, index.build_seconds)
    return index
