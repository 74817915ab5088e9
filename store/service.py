"""FactStore: the one object the CLI and the bot use to reach documents, facts and answers."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from store.index import SearchIndex, build_index
from store.paths import DEFAULT_DATABASE_URL, index_dir_for, sqlite_path
from store.views import Answer, DocumentInfo, FactHit, FactView, IngestReport, SentenceHit

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

    from store.feeds import PollResult
    from store.ingest.fetch import FetchPolicy

log = logging.getLogger(__name__)


# Money facts whose metric says investment; /projects lists these.
_INVESTMENT_METRICS = ("投资", "总投资", "计划总投资", "增资", "投资额")


class FactStore:
    """Documents, facts and the in-memory answering index over one database."""

    def __init__(
        self, database_url: str = DEFAULT_DATABASE_URL, *, index_dir: str | Path | None = None
    ) -> None:
        self.database_url = database_url
        # Where the index snapshot lives (INDEX_DIR, else beside a SQLite file, else data/index/).
        self.index_dir = index_dir_for(database_url, index_dir)
        self._engine: Engine | None = None
        self._index: SearchIndex | None = None
        self._lock = threading.RLock()  # first load and refreshes, one at a time
        self._version: int | None = None  # document-set version the index was last synced at

    @classmethod
    def open(
        cls,
        database_url: str = DEFAULT_DATABASE_URL,
        *,
        seed: bool = True,
        index_dir: str | Path | None = None,
    ) -> FactStore:
        """Open (and migrate) the database; fill it from seeds/ when empty and `seed` is set."""
        store = cls(database_url, index_dir=index_dir)
        path = store._sqlite_file()
        if path is not None:
            from store import migrations, sqlite_probe

            if sqlite_probe.stored_documents(path, migrations.head_revision()) is not None:
                return store  # current and filled: SQLAlchemy is imported only when needed
        from store import db

        try:
            if not db.is_ready(store.engine):
                db.prepare(store.engine, seed=seed)
        except Exception as exc:
            problem = db.database_problem(database_url, exc)
            if problem is None:
                raise
            raise problem from None
        return store

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (created on first use; `open` migrates the schema)."""
        if self._engine is None:
            from store import db

            self._engine = db.make_engine(self.database_url)
        return self._engine

    def _sqlite_file(self) -> Path | None:
        return sqlite_path(self.database_url)

    def _connect(self) -> Connection:
        """A new SQLAlchemy connection (the index reads use Core over it)."""
        return self.engine.connect()

    @property
    def index(self) -> SearchIndex:
        """The answering index: loaded from its snapshot, or built (and saved) on first use."""
        if self._index is None:
            with self._lock:
                if self._index is None:
                    self._index = self._load_or_build()
        return self._index

    def _save_snapshot(self, index: SearchIndex) -> None:
        from store import snapshot

        path = self.index_dir
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            snapshot.save_index(index, path)
        except OSError as exc:  # a read-only folder (or another process writing) costs a rebuild later
            log.warning("could not write the index snapshot of %s: %s", path, exc)

    def _load_or_build(self) -> SearchIndex:
        """The snapshot brought up to date with the database, or a build from SQL."""
        from store import snapshot

        self._version = self._read_version()

        path = self.index_dir
        loaded = snapshot.load_index(path) if path is not None else None
        if loaded is not None:
            index, changed = self._synced(loaded)
            if changed:
                self._save_snapshot(index)
            return index
        index = build_index(self._connect)
        self._save_snapshot(index)
        return index

    def _stored_documents(self) -> dict[int, str]:
        """Document id → document_key, read now (SQLite without an engine yet: see sqlite_probe)."""
        from store import migrations, snapshot, sqlite_probe
        from store.index import document_key

        path = self._sqlite_file()
        if path is not None and self._engine is None:
            probed = sqlite_probe.stored_documents(path, migrations.head_revision())
            if probed is not None:
                return {doc_id: document_key(digest, name) for doc_id, digest, name in probed}
        return snapshot.stored_documents(self._connect)

    def _read_version(self) -> int | None:
        """The document-set version now (SQLite without an engine yet: see sqlite_probe)."""
        from store import migrations, sqlite_probe
        from store.documents import read_version

        path = self._sqlite_file()
        if path is not None and self._engine is None:
            read, version = sqlite_probe.document_set_version(path, migrations.head_revision())
            if read:
                return version
        return read_version(self._connect)

    def _synced(self, index: SearchIndex) -> tuple[SearchIndex, bool]:
        """`index` with documents gone or changed in the database dropped and new ones added."""
        from store.index import extend_index, remove_documents

        stored = self._stored_documents()
        held = index.doc_keys
        # SQLite reuses the ids of deleted rows: a document is the same only if its key (content
        # hash and name) is.
        gone = {d for d, h in held.items() if stored.get(d) != h}
        added = sorted(d for d, h in stored.items() if held.get(d) != h)
        if not gone and not added:
            return index, False
        if gone:
            index = remove_documents(index, gone)
        if added:
            index = extend_index(index, self._connect, added)
        log.info("index brought up to date: %s documents dropped, %s added", len(gone), len(added))
        return index, True

    def refresh(self, *, rebuild: bool = False) -> bool:
        """Bring the index up to date with the database (documents added, replaced or deleted
        by this or any other process) and replace the snapshot; True when anything changed.

        In place: only the documents that differ are read, the rest of the index is reused —
        seconds at any size, and no second full index in memory. `rebuild` builds it from SQL.
        """

        with self._lock:
            current = self._index
            version = self._read_version()
            if rebuild:
                index, changed = build_index(self._connect), True
                self._save_snapshot(index)
            elif current is None:  # e.g. `bot ingest`: keep the snapshot current for the next start
                index, changed = self._load_or_build(), True
            else:
                index, changed = self._synced(current)
                if changed:
                    self._save_snapshot(index)
            self._index = index
            self._version = version
            return changed

    def refresh_if_changed(self) -> bool:
        """Refresh when the document-set version in the database moved (one cheap query when not).

        A running bot calls this every few seconds, so documents ingested, replaced or deleted
        by another process appear without a restart. Nothing happens before the first load.
        """

        if self._index is None or self._read_version() == self._version:
            return False
        return self.refresh()

    def _refresh_after(self, reports: list[IngestReport]) -> None:
        if any(r.status in ("added", "replaced") for r in reports):
            self.refresh()

    def warm(self) -> None:
        """Build the index and load the text converters now rather than on the first question."""
        from store.answering import prepare
        from store.normalize import normalize_question
        from store.tokenize import get_tokenizer

        _ = self.index
        normalize_question("預熱")
        get_tokenizer()
        self.index.phrase_rows("预热")
        prepare(self.index)

    def ask(self, question: str, *, limit: int = 5) -> list[Answer]:
        """Answer a Chinese question: best answer first; empty when the corpus cannot answer."""
        from store.answering import answer

        return answer(self.index, question, limit=limit)

    def missing(self, question: str) -> Any:
        """What a question without an answer asks for that the corpus lacks (store.answering.Missing), or None."""
        from store.answering import missing

        return missing(self.index, question)

    def suggestions(self, question: str, *, limit: int = 5) -> list[str]:
        """Closest known entity names for a question that got no answer."""
        from store.answering import suggest

        return suggest(self.index, question, limit=limit)

    def documents(self) -> list[DocumentInfo]:
        """All documents, oldest ingestion first (their `id` is the number users type)."""
        return sorted(self.index.documents.values(), key=lambda d: d.id)

    def document(self, doc_id: int) -> DocumentInfo | None:
        """One document by id, or None."""
        return self.index.documents.get(doc_id)

    def _hits(self, rows_facts: Iterable[tuple[int, FactView]]) -> list[FactHit]:
        index = self.index
        out = []
        for row, fact in rows_facts:
            doc = index.documents[int(index.doc_of_row[row])]
            out.append(FactHit(fact=fact, sentence=index.texts[row], document=doc))
        return out

    def _doc_rows(self, doc_id: int) -> list[int]:
        index = self.index
        return [int(r) for r in index.fact_rows if int(index.doc_of_row[r]) == doc_id]

    def key_facts(self, doc_id: int, *, limit: int = 8) -> list[FactHit]:
        """The most informative figures of one document (money, targets, counts, ranks first)."""
        from store.ranking import fact_weight

        index = self.index
        pairs = [(row, f) for row in self._doc_rows(doc_id) for f in index.fact_views(row)]
        pairs = [(r, f) for r, f in pairs if f.kind != "date"]
        pairs.sort(key=lambda rf: -fact_weight(rf[1]))
        seen: set[int] = set()
        chosen = []
        for row, fact in pairs:
            if row in seen:
                continue
            seen.add(row)
            chosen.append((row, fact))
            if len(chosen) >= limit:
                break
        return self._hits(chosen)

    def paragraph(self, sentence_id: int) -> str | None:
        """The whole paragraph a sentence belongs to."""
        row = self.index.row_of(sentence_id)
        return None if row is None else self.index.paragraph_text(row)

    def _matches_region(self, doc: DocumentInfo, region: str) -> bool:
        gaz = self.index.gazetteer
        names = {n.lower() for n in gaz.expand(region)}
        hay = (" ".join(doc.regions) + " " + doc.title).lower()
        return any(n in hay for n in names)

    def targets(self, region: str | None = None) -> dict[str, list[FactHit]]:
        """Target facts (plans, goals) grouped by region, optionally for one region (aliases ok)."""
        index = self.index
        grouped: dict[str, list[FactHit]] = {}
        for row in index.fact_rows.tolist():
            doc = index.documents[int(index.doc_of_row[row])]
            if region and not self._matches_region(doc, region):
                continue
            targets = [f for f in index.fact_views(row) if f.target and f.kind != "date"]
            if not targets:
                continue
            key = doc.regions[0] if doc.regions else doc.title
            grouped.setdefault(key, []).extend(self._hits([(row, targets[0])]))
        return grouped

    def projects(self, keyword: str | None = None) -> list[FactHit]:
        """Investment figures of projects, largest first, optionally filtered by keyword."""
        from store.normalize import normalize_question

        index = self.index
        needles = list(index.gazetteer.expand(normalize_question(keyword))) if keyword else []
        pairs = []
        for row in index.fact_rows.tolist():
            text = index.texts[row]
            if needles and not any(n.lower() in text.lower() for n in needles):
                continue
            for fact in index.fact_views(row):
                if fact.kind != "money" or fact.value is None:
                    continue
                context = (fact.metric or "") + text[max(0, fact.start - 6) : fact.start]
                if any(m in context for m in _INVESTMENT_METRICS):
                    pairs.append((row, fact))
        pairs.sort(key=lambda rf: -_cny(rf[1]))
        return self._hits(pairs)

    def search(self, keyword: str, *, limit: int = 50) -> list[SentenceHit]:
        """Sentences containing the keyword (aliases and traditional characters understood)."""
        from store.normalize import normalize_question

        index = self.index
        query = normalize_question(keyword)
        if not query:
            return []
        matched_by: dict[int, str] = {}
        for needle in index.gazetteer.expand(query):
            for row in index.texts.rows_containing(needle, limit=limit * 4).tolist():
                matched_by.setdefault(row, needle)
        out = []
        for row in sorted(matched_by)[:limit]:
            doc = index.documents[int(index.doc_of_row[row])]
            text = index.texts[row]
            start = text.lower().find(matched_by[row].lower())
            matched = text[start : start + len(matched_by[row])] if start >= 0 else matched_by[row]
            out.append(SentenceHit(int(index.sentence_ids[row]), text, doc, 1.0, matched))
        return out

    def sentence_document(self, sentence_id: int) -> DocumentInfo | None:
        """The document a sentence belongs to."""
        row = self.index.row_of(sentence_id)
        return None if row is None else self.index.documents.get(int(self.index.doc_of_row[row]))

    def ingest_paths(
        self, paths: Iterable[str | Path], *, policy: FetchPolicy | None = None, announce: bool = False,
        reread: bool = False,
    ) -> list[IngestReport]:
        """Ingest files, folders or http(s) URLs, then refresh the index; one report each.

        `announce`: new documents are recorded for the running bot to announce, each in the
        transaction that stores it. `reread`: a document whose text is stored already is read and
        stored again (what a newer reader finds in it replaces the old rows; it is not announced).
        """
        from store import db
        from store.ingest.writer import REREAD_INFO, ingest_paths
        from store.subscriptions import ANNOUNCE_INFO

        with db.session_scope(self.engine) as session:
            session.info[ANNOUNCE_INFO] = announce
            session.info[REREAD_INFO] = reread
            reports = ingest_paths(list(paths), session=session, policy=policy)
        if reread and any(r.status == "replaced" for r in reports):
            # A document read again keeps its text and name (its key): only a rebuild sees its new rows
            # (and saves them in the snapshot, which a bot started afterwards loads).
            self.refresh(rebuild=True)
        else:
            self._refresh_after(reports)
        return reports

    def poll_feeds(
        self, *, policy: FetchPolicy | None = None, force: bool = False, announce: bool = False
    ) -> list[PollResult]:
        """Poll the due feeds (all unpaused ones with `force`), then refresh the index.

        `announce`: new documents are recorded for announcement in the transaction that stores
        them (the replica holding the fan-out lease posts them).
        """
        from store import db
        from store.feeds import poll_due
        from store.subscriptions import ANNOUNCE_INFO

        with db.session_scope(self.engine) as session:
            session.info[ANNOUNCE_INFO] = announce
            results = poll_due(session=session, policy=policy, force=force)
        self._refresh_after([r for result in results for r in result.reports])
        return results

    def ingest_bytes(self, data: bytes, *, name: str, replace: bool = False) -> IngestReport:
        """Ingest one uploaded file's bytes, then refresh the index.

        A different text under a stored name becomes a new document (a free name), unless
        `replace`; details["same_name_ids"] then lists the documents it could replace.
        """
        from store import db
        from store.ingest.writer import ingest_bytes

        with db.session_scope(self.engine) as session:
            report = ingest_bytes(data, name=name, session=session, replace=replace)
        self._refresh_after([report])
        return report

    def replace_document(self, old_id: int, new_id: int) -> bool:
        """Let document `new_id` replace `old_id` (deleted; its name passes on); False if either is gone."""
        from store import db
        from store.documents import replace_document

        with db.session_scope(self.engine) as session:
            done = replace_document(old_id, new_id, session=session)
        if done:
            self.refresh()
        return done

    def facts(self) -> Iterator[dict[str, Any]]:
        """Every fact as a `facts --jsonl` object (doc, kind, span, value, unit, target, period, sentence…)."""
        index = self.index
        for row in index.fact_rows.tolist():
            doc = index.documents[int(index.doc_of_row[row])]
            for fact in index.fact_views(row):
                yield {"doc": doc.name, **fact.to_json(), "sentence": index.texts[row]}

    def status(self) -> dict[str, Any]:
        """Health facts: documents in the database, its document-set version, the index's; raises
        when the database cannot be read (the bot's /healthz turns that into a 503)."""
        from sqlalchemy import func, select

        from store.documents import read_version
        from store.models import Document

        with self._connect() as conn:
            documents = int(conn.execute(select(func.count()).select_from(Document)).scalar_one())
        return {
            "documents": documents,
            "database_version": read_version(self._connect),
            "index_loaded": self._index is not None,
            "index_version": self._version,
        }


_USD_TO_CNY = 7.0  # rough, only to order mixed-currency investments


def _cny(fact: FactView) -> float:
    value = fact.value or 0.0
    return value * _USD_TO_CNY if fact.unit == "USD" else value
