"""Writing documents: sentence and fact rows, one transaction per document, files and folders."""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Table, delete, insert, select
from sqlmodel import Session

from store.documents import bump_version, free_name
from store.ingest.decode import IngestError
from store.ingest.fetch import FetchError, FetchPolicy, fetch, is_http_url
from store.ingest.html import clean_url
from store.ingest.metadata import section_year
from store.ingest.parse import ParsedDocument
from store.ingest.repair import KIND_BODY, KIND_HEADING, KIND_TITLE, _ends_terminal
from store.ingest.sources import (
    DOCX_MIME,
    KIND_TEXT,
    SUPPORTED_SUFFIXES,
    Source,
    kind_of_name,
    kind_of_response,
    parse_source,
    read_source,
    suffix_reason,
)
from store.models import Document, Fact, Sentence, utcnow
from store.normalize import searchable
from store.subscriptions import record_pending_announcements
from store.tables import table_facts
from store.views import IngestReport

if TYPE_CHECKING:
    from store.extraction import ExtractedFact

log = logging.getLogger(__name__)


_INDEXED_KINDS = frozenset({KIND_BODY, KIND_HEADING, KIND_TITLE})
_DOCUMENT_TABLE: Table = Document.__table__  # type: ignore[attr-defined]
_SENTENCE_TABLE: Table = Sentence.__table__  # type: ignore[attr-defined]
_FACT_TABLE: Table = Fact.__table__  # type: ignore[attr-defined]
_SENTENCE_COLUMNS = ("document_id", "paragraph_no", "position", "kind", "text", "tokens")
_FACT_COLUMNS = (
    "document_id",
    "sentence_id",
    "kind",
    "span",
    "start",
    "end",
    "value",
    "unit",
    "qualifier",
    "target",
    "period",
    "subject",
    "metric",
    "label",
    "date",
)

# session.info key: store documents again even when their text is unchanged, so that what a newer reader
# makes of them (tables, facts) replaces what an older one stored (`python -m bot ingest --reread`).
REREAD_INFO = "ingest_reread"

SentenceRow = tuple[int, int, str, str, str]  # paragraph_no, position, kind, text, tokens
FactRow = tuple[Any, ...]  # _FACT_COLUMNS without document_id and sentence_id


def _refused(name: str, path: str, reason: str) -> IngestReport:
    log.info("refused %s: %s", name, reason)
    return IngestReport(name=name, path=path, status="refused", reason=f"{name}: {reason}")


@lru_cache(maxsize=65536)
def _joined_tokens(text: str, generation: float) -> str:
    """Space-joined index tokens of the searchable form (simplified, numbers unspaced); cut once per text."""
    from store.tokenize import index_tokens

    return " ".join(index_tokens(searchable(text)))


@lru_cache(maxsize=16384)
def _paragraph_facts(
    sentences: tuple[str, ...], doc_year: int | None, section_year: int | None = None
) -> tuple[tuple[FactRow, ...], ...]:
    """Fact rows per sentence of a body paragraph (cached: the rows are immutable values)."""
    from store.extraction import extract_paragraph  # local: extraction pulls in its own lexicons

    return tuple(
        tuple(_fact_row(f) for f in found)
        for found in extract_paragraph(sentences, doc_year=doc_year, context_period=section_year)
    )


def _fact_row(f: ExtractedFact) -> FactRow:
    """A fact as the row stored (in _FACT_COLUMNS order, without document and sentence ids)."""
    return (
        f.kind, f.span, f.start, f.end, f.value, f.unit, f.qualifier, bool(f.target), f.period,
        f.subject, f.metric, f.label or "", f.date,
    )


def _prepare_rows(parsed: ParsedDocument) -> tuple[list[SentenceRow], list[Sequence[FactRow]]]:
    """Sentence rows and, per sentence, its fact rows (ids are added when they are known)."""
    from store.tokenize import get_tokenizer

    # The tokenizer's total frequency changes whenever words are added, which retires cached tokens.
    generation = float(get_tokenizer().total)
    sentences: list[SentenceRow] = []
    facts: list[Sequence[FactRow]] = []
    period: int | None = None
    for paragraph_no, para in enumerate(parsed.paragraphs):
        per_sentence: Sequence[Sequence[FactRow]]
        if para.kind == KIND_HEADING:
            period = section_year(searchable("".join(para.sentences)), parsed.year, period)
        context = ""
        if para.table is not None:
            # A table's cells are read with their row label, column header and caption; each row is
            # also found by the words of its header and caption (同比增长, 1—5月累计).
            per_sentence = [
                tuple(_fact_row(f) for f in found)
                for found in table_facts(para.table, doc_year=parsed.year, period=period)
            ]
            context = " " + para.table.context_words()
        elif para.kind == KIND_BODY:
            per_sentence = _paragraph_facts(tuple(para.sentences), parsed.year, period)
        else:
            # facts of titles, headings, captions and bylines are not kept
            per_sentence = [()] * len(para.sentences)
        for text, found in zip(para.sentences, per_sentence, strict=True):
            tokens = _joined_tokens(text + context, generation) if para.kind in _INDEXED_KINDS else ""
            sentences.append((paragraph_no, len(sentences), para.kind, text, tokens))
            facts.append(found)
    return sentences, facts


def _insert_many(
    conn: Connection, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """Insert rows (tuples in `columns` order) with one executemany."""
    if not rows:
        return
    if conn.dialect.paramstyle == "qmark":
        # SQLAlchemy's per-row parameter processing costs more than SQLite's own insert.
        quote = conn.dialect.identifier_preparer.quote
        sql = (
            f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
            f"VALUES ({', '.join('?' * len(columns))})"
        )
        conn.exec_driver_sql(sql, rows)
    else:
        conn.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])


Prepared = tuple[list[SentenceRow], list[Sequence[FactRow]]]


def _store(
    parsed: ParsedDocument,
    *,
    name: str,
    path: str,
    session: Session,
    prepared: Prepared | None = None,
    replace: bool = True,
) -> IngestReport:
    """Write one parsed document in its own transaction (added, replaced or unchanged).

    A stored document of the same name is replaced, or with `replace=False` kept, the new one
    being stored under a free name (details["same_name_ids"] lists the kept ones).
    """
    digest = parsed.content_hash
    docs = _DOCUMENT_TABLE.c
    same = (
        session.connection()
        .execute(
            select(docs.id, docs.name, docs.title, docs.sentence_count, docs.fact_count).where(
                docs.content_hash == digest
            )
        )
        .first()
    )
    # Tokenising and extracting take most of the time: keep no transaction open meanwhile.
    session.rollback()
    if same is not None and not session.info.get(REREAD_INFO):
        return IngestReport(
            name=name,
            path=path,
            status="unchanged",
            document_id=same.id,
            sentences=same.sentence_count,
            facts=same.fact_count,
            details={"same_as": same.name, "title": same.title},
        )
    if not any(_ends_terminal(s) for s in parsed.sentences(KIND_BODY)):
        return _refused(name, path, "没有找到正文句子（不像一篇文章）")
    sentence_rows, fact_rows = prepared if prepared is not None else _prepare_rows(parsed)
    fact_count = sum(len(f) for f in fact_rows)
    char_count = sum(len(row[3]) for row in sentence_rows)
    old_ids: list[int] = []
    try:
        conn = session.connection()
        old_ids = list(conn.execute(select(docs.id).where(docs.name == name)).scalars())
        same_name_ids = [] if replace else old_ids
        if same_name_ids:
            name, old_ids = free_name(name, session=session), []
        if same is not None:
            old_ids = sorted({*old_ids, same.id})  # read again: the new rows replace the old ones
        if old_ids:
            conn.execute(delete(_FACT_TABLE).where(_FACT_TABLE.c.document_id.in_(old_ids)))
            conn.execute(delete(_SENTENCE_TABLE).where(_SENTENCE_TABLE.c.document_id.in_(old_ids)))
            conn.execute(delete(_DOCUMENT_TABLE).where(docs.id.in_(old_ids)))
        result = conn.execute(
            insert(_DOCUMENT_TABLE).values(
                name=name,
                path=path,
                content_hash=digest,
                title=parsed.title,
                regions=parsed.regions,
                authors=parsed.authors,
                year=parsed.year,
                date=parsed.date,
                date_source=parsed.date_source,
                url=parsed.url,
                char_count=char_count,
                sentence_count=len(sentence_rows),
                fact_count=fact_count,
                ingested_at=utcnow(),
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        doc_id = int(key[0])
        _insert_many(
            conn, _SENTENCE_TABLE, _SENTENCE_COLUMNS, [(doc_id, *row) for row in sentence_rows]
        )
        # One ordered read gives every sentence id; per-row RETURNING would be row-by-row on SQLite.
        sentences = _SENTENCE_TABLE.c
        ids: Iterable[int] = conn.execute(
            select(sentences.id).where(sentences.document_id == doc_id).order_by(sentences.position)
        ).scalars()
        flat = [
            (doc_id, sentence_id, *fact)
            for sentence_id, facts in zip(ids, fact_rows, strict=True)
            for fact in facts
        ]
        _insert_many(conn, _FACT_TABLE, _FACT_COLUMNS, flat)
        if same is None:  # a text read again is no news
            record_pending_announcements([doc_id], session=session)  # only when the caller asks
        bump_version(session=session)
        session.commit()
    except Exception as exc:
        session.rollback()
        log.exception("could not store %s", name)
        return _refused(name, path, f"写入数据库失败：{exc}")
    status = "replaced" if old_ids else "added"
    log.info("%s %s: %s sentences, %s facts", status, name, len(sentence_rows), fact_count)
    return IngestReport(
        name=name,
        path=path,
        status=status,
        document_id=doc_id,
        sentences=len(sentence_rows),
        facts=fact_count,
        details={
            "title": parsed.title,
            "regions": parsed.regions,
            "year": parsed.year,
            "date": parsed.date,
            "joins": len(parsed.joins),
            "chars": char_count,
            "replaced_ids": old_ids,
            "same_name_ids": same_name_ids,
        },
    )


def ingest_bytes(
    data: bytes,
    *,
    name: str,
    session: Session,
    path: str = "",
    replace: bool = True,
    kind: str | None = None,
) -> IngestReport:
    """Ingest one file's bytes as document `name` (one transaction); refusals come back as reports.

    `replace=False`: a different text under a name already stored becomes a new document.
    The reader (text, HTML, PDF, DOCX) follows `kind`, else the name's suffix.
    """
    kind = kind or kind_of_name(name)
    if kind is None:
        return _refused(name, path, suffix_reason(name))
    try:
        parsed = parse_source(read_source(data, name=name, kind=kind), name=name)
    except IngestError as exc:
        return _refused(name, path, exc.reason)
    return _store(parsed, name=name, path=path, session=session, replace=replace)


def fetch_source(
    url: str, *, policy: FetchPolicy, date: str | None = None, date_source: str | None = None
) -> Source:
    """Fetch a page (or a PDF/DOCX/text file) by URL and read it; FetchError or IngestError on refusal."""
    fetched = fetch(url, policy=policy, accept=_ACCEPT)
    kind = kind_of_response(fetched.final_url, fetched.content_type)
    if kind is None:
        raise FetchError(
            url, f"不支持的内容类型 {fetched.content_type}（只接受网页、PDF、Word 和纯文本）"
        )
    source = read_source(
        fetched.body, name=url, kind=kind, url=fetched.final_url, charset=fetched.charset
    )
    link = source.url or clean_url(fetched.final_url)
    if date:  # the feed's own date beats what the page shows
        source = dataclasses.replace(source, date=date, date_source=date_source)
    return dataclasses.replace(source, url=link)


def ingest_source(source: Source, *, name: str, session: Session, path: str = "") -> IngestReport:
    """Parse and store an already read source (one transaction)."""
    try:
        parsed = parse_source(source, name=name)
    except IngestError as exc:
        return _refused(name, path, exc.reason)
    return _store(parsed, name=name, path=path, session=session)


def ingest_url(url: str, *, session: Session, policy: FetchPolicy | None = None) -> IngestReport:
    """Fetch and ingest one http(s) URL; the page's canonical link names the document."""
    policy = policy or FetchPolicy.from_env()
    try:
        source = fetch_source(url, policy=policy)
    except FetchError as exc:
        return _refused(url, url, exc.reason)
    except IngestError as exc:
        return _refused(url, url, exc.reason)
    name = source.url or url
    return ingest_source(source, name=name, session=session, path=url)


# Types a URL may return, most wanted first.
_ACCEPT = (
    "text/html,application/xhtml+xml;q=0.9,application/pdf;q=0.8,"
    f"{DOCX_MIME};q=0.8,text/plain;q=0.5"
)


def _expand(paths: Iterable[str | Path]) -> Iterator[Path | str | IngestReport]:
    """Files and URLs to ingest in order (folders recurse, sorted); refusals for the rest."""
    for raw in paths:
        if isinstance(raw, str) and "://" in raw:
            if is_http_url(raw):
                yield raw.strip()
            else:
                yield _refused(raw, raw, "只接受 http/https 链接")
            continue
        target = Path(raw)
        if not target.exists():
            yield _refused(target.name or str(target), str(target), "路径不存在")
        elif target.is_dir():
            for child in sorted(target.rglob("*")):
                rel = child.relative_to(target)
                if not child.is_file() or any(part.startswith(".") for part in rel.parts):
                    continue
                if child.suffix.lower() in SUPPORTED_SUFFIXES:
                    yield child
                else:
                    yield _refused(child.name, str(child), suffix_reason(child.name))
        elif target.suffix.lower() in SUPPORTED_SUFFIXES:
            yield target
        else:
            yield _refused(target.name, str(target), suffix_reason(target.name))


# From this many files on, parsing, jieba and extraction run in worker processes (one per core)
# while this process writes: jieba holds the GIL, so threads would not help.
PARALLEL_MIN_FILES = 16


def _prepare_file(path: str) -> tuple[str, str, ParsedDocument, Prepared] | IngestReport:
    """Read, decode, parse, tokenise and extract one file (runs in a worker process)."""
    item = Path(path)
    kind = kind_of_name(item.name) or KIND_TEXT
    try:
        data = item.read_bytes()
        parsed = parse_source(read_source(data, name=item.name, kind=kind), name=item.name)
    except OSError as exc:
        return _refused(item.name, path, f"无法读取文件：{exc.strerror or exc}")
    except IngestError as exc:
        return _refused(item.name, path, exc.reason)
    return item.name, path, parsed, _prepare_rows(parsed)


# How often a worker checks that the process that started it is alive (a killed `bot ingest`
# must not leave workers behind): shorter exits sooner, longer wakes the worker less.
PARENT_CHECK_SECONDS = 0.5


def exit_with_parent(parent_pid: int) -> None:
    """Worker initializer: exit at once when `parent_pid` dies (SIGKILL included).

    A watchdog thread polls os.getppid(): an orphan is re-parented, so its parent pid changes.
    The pool's queues would otherwise keep an orphaned worker waiting (or working) for good.
    """
    import threading
    import time

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _workers(files: int) -> int:
    cores = (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    )
    return min(cores, 4) if files >= PARALLEL_MIN_FILES and cores > 1 else 0


def ingest_paths(
    paths: Iterable[str | Path], *, session: Session, policy: FetchPolicy | None = None
) -> list[IngestReport]:
    """Ingest files, folders and http(s) URLs, one transaction per document; one report each."""
    items = list(_expand(paths))
    files = [str(i) for i in items if isinstance(i, Path)]
    workers = _workers(len(files))
    prepared: Iterator[tuple[str, str, ParsedDocument, Prepared] | IngestReport] | None = None
    pool = None
    if workers:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # spawn, not fork: the caller may be a running bot with threads.
        context = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=exit_with_parent, initargs=(os.getpid(),)
        )
        prepared = iter(pool.map(_prepare_file, files, chunksize=4))
    reports: list[IngestReport] = []
    try:
        for item in items:
            if isinstance(item, IngestReport):
                reports.append(item)
            elif isinstance(item, str):
                reports.append(ingest_url(item, session=session, policy=policy))
            elif prepared is not None:
                reports.append(_store_prepared(next(prepared), session))
            else:
                reports.append(_ingest_file(item, session=session))
    finally:
        if pool is not None:
            pool.shutdown()
    return reports


def _ingest_file(item: Path, *, session: Session) -> IngestReport:
    try:
        data = item.read_bytes()
    except OSError as exc:
        return _refused(item.name, str(item), f"无法读取文件：{exc.strerror or exc}")
    return ingest_bytes(data, name=item.name, session=session, path=str(item))


def _store_prepared(
    result: tuple[str, str, ParsedDocument, Prepared] | IngestReport, session: Session
) -> IngestReport:
    """Store what a worker prepared (or pass its refusal on)."""
    if isinstance(result, IngestReport):
        return result
    name, path, parsed, prepared = result
    return _store(parsed, name=name, path=path, session=session, prepared=prepared)
