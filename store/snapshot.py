"""On-disk snapshot of the answering index, so a restart does not rebuild it from SQL.

A snapshot describes exactly what it holds: its fingerprint is made of the documents (id and
content hash) inside it, never of the database it was written beside. Every file carries a
checksum; a snapshot that cannot be verified or read is reported once and ignored.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import shutil
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from store.index import CharGrams, SearchIndex, TextColumn, document_key
from store.paths import LEXICON_DIR

log = logging.getLogger(__name__)

FORMAT_VERSION = 9  # 7: DocumentInfo.url; 8, 9: character-pair positions of the texts (9: none with the separator)
_ARRAYS = ("sentence_ids", "doc_of_row", "para_of_row", "post_offsets", "post_rows", "idf", "norm",
           "lengths", "fact_rows", "has_facts")
_TEXT_ARRAYS = ("text_starts", "gram_keys", "gram_offsets", "gram_positions")
_OBJECTS = ("vocab", "facts", "documents", "gazetteer", "doc_texts_lower", "doc_keys")
_FILES = ("arrays.npz", "texts.txt", "objects.pickle")
# Per-row arrays: each must have one entry per indexed sentence.
_ROW_ARRAYS = ("sentence_ids", "doc_of_row", "para_of_row", "norm", "lengths", "has_facts")


class SnapshotError(Exception):
    """A snapshot that cannot be used (missing, damaged, or from another format or lexicon)."""


class StaleSnapshot(SnapshotError):
    """A sound snapshot written by another version of the program or lexicon: rebuilt quietly."""


def snapshot_dir(sqlite_file: Path) -> Path:
    """Where the snapshot of a database file lives (beside it; see store.paths.index_dir_for)."""
    return sqlite_file.with_name(sqlite_file.name + ".index")


def stored_documents(connect: Callable[[], Any]) -> dict[int, str]:
    """Document id → document_key (content hash and name) of every document in the database."""
    from sqlalchemy import column, select, table

    document = table("document", column("id"), column("content_hash"), column("name"))
    with connect() as conn:
        rows = conn.execute(select(document.c.id, document.c.content_hash, document.c.name))
        return {int(doc_id): document_key(digest, name) for doc_id, digest, name in rows}


def documents_digest(doc_keys: Mapping[int, str]) -> str:
    """A digest of a set of documents (ids and keys)."""
    digest = hashlib.sha256()
    for doc_id in sorted(doc_keys):
        digest.update(f"{doc_id}:{doc_keys[doc_id]}\n".encode())
    return digest.hexdigest()


def _lexicon_digest() -> str:
    """The alias table and user dictionary shape the index (gazetteer, tokens): part of its identity."""
    lexicon = hashlib.sha256()
    for name in ("aliases.tsv", "userdict.txt"):
        path = LEXICON_DIR / name
        if path.exists():
            lexicon.update(path.read_bytes())
    return lexicon.hexdigest()


def fingerprint(doc_keys: Mapping[int, str]) -> str:
    """The fingerprint of an index holding these documents (with today's format and lexicon)."""
    return json.dumps([FORMAT_VERSION, _lexicon_digest()[:16], documents_digest(doc_keys)])


def _file_digest(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def save_index(index: SearchIndex, directory: Path) -> None:
    """Write the index atomically (a temporary folder renamed into place), checksums included."""
    started = time.perf_counter()
    tmp = directory.with_name(directory.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    grams = index.texts.grams
    np.savez(tmp / "arrays.npz", text_starts=index.texts.starts, gram_keys=grams.keys,
             gram_offsets=grams.offsets, gram_positions=grams.positions,
             **{name: getattr(index, name) for name in _ARRAYS})
    (tmp / "texts.txt").write_text(index.texts.blob, encoding="utf-8")
    with (tmp / "objects.pickle").open("wb") as fh:
        pickle.dump({name: getattr(index, name) for name in _OBJECTS}, fh, protocol=pickle.HIGHEST_PROTOCOL)
    meta = {
        "fingerprint": fingerprint(index.doc_keys),
        "size": index.size,
        "documents": len(index.doc_keys),
        "sha256": {name: _file_digest(tmp / name) for name in _FILES},
    }
    (tmp / "meta.json").write_text(json.dumps(meta), "utf-8")
    old = directory.with_name(directory.name + f".old{os.getpid()}")
    shutil.rmtree(old, ignore_errors=True)
    if directory.exists():
        directory.rename(old)
    tmp.rename(directory)
    shutil.rmtree(old, ignore_errors=True)
    log.info("index snapshot of %s documents written to %s in %.2fs", len(index.doc_keys), directory,
             time.perf_counter() - started)


def load_index(directory: Path) -> SearchIndex | None:
    """Load a snapshot, whatever documents it holds; None (one warning) when it cannot be used.

    The caller compares the loaded index's `doc_keys` with the database and brings it up to date.
    """
    if not (directory / "meta.json").exists():
        return None
    started = time.perf_counter()
    try:
        index = _read_snapshot(directory)
    except StaleSnapshot as exc:
        log.info("index snapshot %s is stale (%s); rebuilding", directory, exc)
        return None
    except Exception as exc:  # anything at all: a damaged snapshot must never stop the bot
        log.warning("index snapshot %s unusable (%s: %s); rebuilding", directory, type(exc).__name__, exc)
        return None
    index.build_seconds = time.perf_counter() - started
    log.info("index snapshot of %s documents loaded from %s in %.2fs", len(index.doc_keys), directory,
             index.build_seconds)
    return index


def _read_snapshot(directory: Path) -> SearchIndex:
    """Verify and read a snapshot; raise on any mismatch."""
    meta = json.loads((directory / "meta.json").read_text("utf-8"))
    if not isinstance(meta, dict) or not isinstance(meta.get("fingerprint"), str):
        raise SnapshotError("meta.json has no fingerprint")
    version, lexicon, _documents = json.loads(meta["fingerprint"])
    if version != FORMAT_VERSION:
        raise StaleSnapshot(f"format {version}, expected {FORMAT_VERSION}")
    if lexicon != _lexicon_digest()[:16]:
        raise StaleSnapshot("written with another lexicon")
    sums = meta.get("sha256") or {}
    for name in _FILES:
        if _file_digest(directory / name) != sums.get(name):
            raise SnapshotError(f"{name} does not match its checksum")
    with np.load(directory / "arrays.npz", allow_pickle=False) as data:
        arrays = {name: data[name] for name in (*_ARRAYS, *_TEXT_ARRAYS)}
    with (directory / "objects.pickle").open("rb") as fh:
        objects = pickle.load(fh)  # written by this program only, beside its own database; checksummed
    if not isinstance(objects, dict) or set(objects) != set(_OBJECTS):
        raise SnapshotError("objects.pickle does not hold the index objects")
    grams = CharGrams(arrays["gram_keys"], arrays["gram_offsets"], arrays["gram_positions"])
    if len(grams.offsets) != len(grams.keys) + 1 or int(grams.offsets[-1]) != len(grams.positions):
        raise SnapshotError("character-pair positions do not match their keys")
    blob = (directory / "texts.txt").read_text("utf-8")
    if len(grams.positions) and int(grams.positions.max()) >= len(blob) - 1:
        raise SnapshotError("character-pair positions do not match the texts")
    texts = TextColumn.from_blob(blob, arrays["text_starts"], grams)
    index = SearchIndex(texts=texts, **{name: arrays[name] for name in _ARRAYS}, **objects)
    size = index.size
    if meta.get("size") != size or any(len(arrays[name]) != size for name in _ROW_ARRAYS):
        raise SnapshotError("arrays of different lengths")
    if len(index.post_offsets) != len(index.vocab) + 1 or len(index.idf) != len(index.vocab):
        raise SnapshotError("postings do not match the vocabulary")
    if set(index.documents) != set(index.doc_keys):
        raise SnapshotError("document list and hashes disagree")
    if fingerprint(index.doc_keys) != meta["fingerprint"]:
        raise SnapshotError("holds other documents than its fingerprint says")
    return index
