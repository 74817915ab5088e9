"""Targets against results over time: facts as (place, metric, year, value, unit, target|result, source)."""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from store.views import DocumentInfo, FactView

if TYPE_CHECKING:
    from sqlmodel import Session

    from store.digest import DigestOutcome
    from store.index import SearchIndex

log = logging.getLogger(__name__)

# Kinds of figure a target or result can be (dates, ranks and durations are not measured).
SERIES_KINDS = frozenset({"money", "count", "percent", "area", "other"})

# 左右 ("about"): how far a result may lie from the target and still count as met. Percents use
# percentage points (5%左右 vs 5.2 → met, 5.5%左右 vs 3 → missed); other units a share of the
# target (1200万人左右 vs 1244万 → met). Wider tolerances call more outcomes "met".
AROUND_TOLERANCE_POINTS = 0.5
AROUND_TOLERANCE_SHARE = 0.05
# A figure equal to a bare target (no qualifier word) within this share counts as met.
EXACT_TOLERANCE_SHARE = 1e-6

# Direction of a target, from the words written around its figure (never from the metric's name).
LOWER_BOUND_WORDS = ("不低于", "不少于", "至少", "以上", "超过", "突破", "达到", "力争", "高于")
UPPER_BOUND_WORDS = ("不超过", "不高于", "以内", "以下", "控制在", "低于", "之内")
AROUND_WORDS = ("左右", "上下", "大约", "约")

# A clause with these words gives a several-year figure (年均 growth, 五年来 total), not one year's.
MULTI_YEAR_WORDS = ("年均", "年来", "累计", "平均每年")
ONE_YEAR = "一年来"  # …but 一年来 is the past year
# Between a metric and the figure these words mean the figure measures something else of it
# (经济增长的贡献率30%, 占生产总值比重2.5%), so the figure is not the metric's.
NOT_THE_METRIC_BETWEEN = ("的", "比重", "贡献", "占比", "比例")
# Before it: a share of it (占), or a ratio per unit or per head (单位生产总值能耗, 人均生产总值).
NOT_THE_METRIC_BEFORE = ("占", "单位", "人均")
# A clause without a metric name takes the extractor's carried subject only when this short
# (增长, 达到): longer clauses have a subject of their own.
CARRY_MAX_PREFIX = 4
# A "target" in a sentence with these words is an estimate of the year just ended (预计增长5.1%), not
# a plan; its year is unreliable, so it is left out of series.
ESTIMATE_WORDS = ("预计",)
# The extractor's qualifier for a range (5.0%—5.5%); its value is the low end.
RANGE_QUALIFIER = "range"
# Sentences stating the year's targets; a target found there wins over one elsewhere.
TARGET_SENTENCE_WORDS = ("目标",)
# A figure this far (characters) after the nearest metric name is still attributed to it.
MAX_METRIC_GAP = 24
# Words asking for a rate of change rather than a level (国内生产总值增长 → the % figures).
GROWTH_WORDS = ("增长", "增速", "增幅", "涨幅", "上涨", "下降", "降低", "提高", "同比")

_CLAUSE_BREAK = re.compile(r"[，；：。！？,;:!?\n]")

STATUSES = ("met", "missed", "pending", "unknown")


@dataclass(frozen=True, slots=True)
class SeriesFact:
    """One figure normalised for tracking: where, what, which year, how much, target or result, source."""

    place: str
    metric: str
    year: int
    value: float
    unit: str
    span: str
    qualifier: str | None
    target: bool
    direction: str | None  # "lower" (以上) | "upper" (以内) | "around" (左右) | None
    growth: bool  # a rate of change (增长5%), not a level
    gap: int  # characters between the metric's name and the figure
    doc: str  # document file name
    doc_id: int
    doc_year: int | None
    doc_date: str | None
    sentence: str
    title: str = ""
    high: float | None = None  # the upper end of a range target (5.0%—5.5% → 5.5)

    def source_json(self) -> dict[str, Any]:
        """The `{"span", "value", "unit", "doc", "sentence"}` object of the track contract."""
        return {
            "span": self.span, "value": self.value, "unit": self.unit,
            "doc": self.doc, "sentence": self.sentence,
        }


@dataclass(frozen=True, slots=True)
class YearRow:
    """One year of a tracked metric: the target, the reported result and whether it was met."""

    place: str
    metric: str
    year: int
    target: SeriesFact | None
    result: SeriesFact | None
    status: str

    def to_json(self) -> dict[str, Any]:
        """The JSON object of `python -m bot track … --jsonl`."""
        return {
            "place": self.place, "metric": self.metric, "year": self.year,
            "target": self.target.source_json() if self.target else None,
            "result": self.result.source_json() if self.result else None,
            "status": self.status,
        }


@dataclass(frozen=True, slots=True)
class Resolved:
    """A user's place or metric resolved to a known name, or the closest choices."""

    name: str | None
    choices: tuple[str, ...] = ()


# --------------------------------------------------------------------------- places and metrics


def place_key(name: str) -> str:
    """The gazetteer's full name for a place name or alias (全国/我国 → the nation), else the name."""
    from store.places import lookup

    place = lookup(name.strip())
    return place.name if place is not None else name.strip()


def document_place(doc: DocumentInfo) -> str | None:
    """The place a document reports on: its first region, as the gazetteer names it."""
    return place_key(doc.regions[0]) if doc.regions else None


def wants_growth(text: str) -> bool:
    """True when a metric phrase asks for a rate of change (国内生产总值增长, GDP增速)."""
    return any(w in text for w in GROWTH_WORDS)


def resolve_metric(text: str, known: Iterable[str] = ()) -> Resolved:
    """The canonical metric a user typed, or the closest known metrics to choose from."""
    from store.metrics import all_metrics, canonical_metric

    name = canonical_metric(_simplified(text))
    if name is not None:
        return Resolved(name)
    return Resolved(None, _closest(text, tuple(known) or all_metrics()))


def resolve_place(index: SearchIndex, text: str) -> Resolved:
    """The known place a user typed (aliases and short forms understood), or the closest places."""
    known = known_places(index)
    key = place_key(_simplified(text))
    if key in known:
        return Resolved(key)
    return Resolved(None, _closest(text, known))


def known_places(index: SearchIndex) -> list[str]:
    """Places that documents report on, most documents first."""
    counts = Counter(p for d in index.documents.values() if (p := document_place(d)))
    return [p for p, _ in counts.most_common()]


# Choices offered for unknown input: close spellings (rapidfuzz partial ratio at least this) first,
# then the most common known names up to CHOICES. A lower bar offers more unrelated names.
MIN_CHOICE_SCORE = 60
CHOICES = 6


def _closest(text: str, choices: Iterable[str], limit: int = CHOICES) -> tuple[str, ...]:
    from rapidfuzz import fuzz, process

    pool = list(dict.fromkeys(choices))
    close: list[str] = []
    if text.strip():
        found = process.extract(text.strip(), pool, scorer=fuzz.partial_ratio, limit=limit)
        close = [name for name, score, _ in found if score >= MIN_CHOICE_SCORE]
    return tuple(dict.fromkeys([*close, *pool]))[:limit]


def _simplified(text: str) -> str:
    from store.normalize import to_simplified

    return to_simplified(text.strip())


# --------------------------------------------------------------------------- normalising facts


def series_facts(
    index: SearchIndex, *, place: str | None = None, metric: str | None = None
) -> list[SeriesFact]:
    """Facts of the index as SeriesFacts, optionally only one place's and one metric's."""
    from store.metrics import metric_synonyms

    docs = {
        d.id: p for d in index.documents.values()
        if (p := document_place(d)) is not None and (place is None or p == place)
    }
    if not docs:
        return []
    if metric is not None:
        found: set[int] = set()
        for surface in metric_synonyms(metric) or (metric,):
            found.update(index.texts.rows_containing(surface, limit=10_000_000).tolist())
        rows: Iterable[int] = sorted(r for r in found if index.has_facts[r])
    else:
        rows = index.fact_rows.tolist()
    out: list[SeriesFact] = []
    for row in rows:
        doc_id = int(index.doc_of_row[row])
        where = docs.get(doc_id)
        if where is None:
            continue
        views = [f for f in index.fact_views(row) if _candidate(f)]
        if not views:
            continue
        text = index.texts[row]
        simple = _simplified(text)
        doc = index.documents[doc_id]
        for fact in views:
            item = normalise_fact(fact, text, doc, where, simple)
            if item is not None and (metric is None or item.metric == metric):
                out.append(item)
    return out


def _candidate(fact: FactView) -> bool:
    return fact.kind in SERIES_KINDS and fact.value is not None and fact.period is not None


def normalise_fact(
    fact: FactView, sentence: str, doc: DocumentInfo, place: str, simple: str | None = None
) -> SeriesFact | None:
    """One extracted fact as a SeriesFact, or None when it is no single year's figure of a metric.

    `simple` is the sentence in simplified characters when the caller already has it.
    """
    from store.metrics import canonical_metric, metric_mentions

    if fact.kind not in SERIES_KINDS or fact.value is None or fact.period is None:
        return None
    if simple is None:
        simple = _simplified(sentence)
    clause_start = _clause_start(simple, fact.start)
    clause = simple[clause_start : fact.start]
    if any(w in clause.replace(ONE_YEAR, "") for w in MULTI_YEAR_WORDS):
        return None
    if fact.target and any(w in simple for w in ESTIMATE_WORDS):
        return None
    nearest = _nearest_metric(clause)
    if nearest is not None:
        metric, mention_start, mention_end = nearest
        between = clause[mention_end:]
        before = clause[max(0, mention_start - 2) : mention_start]
        if (
            any(w in between for w in NOT_THE_METRIC_BETWEEN)
            or any(w in before for w in NOT_THE_METRIC_BEFORE)
            or len(between) > MAX_METRIC_GAP
        ):
            return None
        gap = len(between)
    else:
        # The clause names no metric (增长5%): the extractor's label carries the sentence's subject,
        # unless the clause has words of its own (500个省重大项目和200个…: the label is what is counted).
        carried = canonical_metric(fact.metric or "") or canonical_metric(fact.label or "")
        if carried is None or len(clause.strip()) > CARRY_MAX_PREFIX:
            return None
        if carried not in {name for _, _, name in metric_mentions(simple[:clause_start])}:
            return None  # the label names what follows the figure (100个以上项目纳入用地…), no subject
        metric, between, gap = carried, clause, len(clause) + MAX_METRIC_GAP
    tail = simple[fact.end : fact.end + 3]
    high = range_high(fact.span, fact.value) if fact.qualifier == RANGE_QUALIFIER else None
    return SeriesFact(
        place=place, metric=metric, year=fact.period, value=fact.value, unit=fact.unit,
        span=fact.span, qualifier=fact.qualifier, target=fact.target,
        direction="range" if high is not None else target_direction(fact.span + tail, fact.qualifier, clause),
        high=high,
        growth=fact.unit == "%" and wants_growth(between),
        gap=gap, doc=doc.name, doc_id=doc.id, doc_year=doc.year, doc_date=doc.date,
        sentence=sentence, title=doc.title,
    )


_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def range_high(span: str, low: float) -> float | None:
    """The upper end of a range span in the low end's base unit (5.0%—5.5% with 5.0 → 5.5)."""
    numbers = [float(n) for n in _NUMBER.findall(span)]
    if len(numbers) < 2 or numbers[0] <= 0 or numbers[-1] <= numbers[0]:
        return None
    return low * numbers[-1] / numbers[0]


def _clause_start(text: str, end: int) -> int:
    last = 0
    for m in _CLAUSE_BREAK.finditer(text, 0, end):
        last = m.end()
    return last


def _nearest_metric(clause: str) -> tuple[str, int, int] | None:
    """(canonical, start, end) of the metric named last before the figure in a clause."""
    from store.metrics import metric_mentions

    mentions = metric_mentions(clause)
    if not mentions:
        return None
    start, end, name = mentions[-1]
    return name, start, end


def target_direction(span: str, qualifier: str | None, clause: str) -> str | None:
    """lower / upper / around / None from the qualifier words at the figure, else in its clause."""
    for text in (qualifier or "", span, clause[-6:]):
        found = _direction_in(text)
        if found:
            return found
    return None


def _direction_in(text: str) -> str | None:
    # The word ending last wins; at the same end the longer one (不超过 over 超过, 不低于 over 低于).
    best: tuple[int, int, str] | None = None
    for words, direction in (
        (UPPER_BOUND_WORDS, "upper"), (LOWER_BOUND_WORDS, "lower"), (AROUND_WORDS, "around"),
    ):
        for w in words:
            pos = text.rfind(w)
            if pos >= 0:
                key = (pos + len(w), len(w), direction)
                if best is None or key[:2] > best[:2]:
                    best = key
    return best[2] if best else None


# --------------------------------------------------------------------------- targets vs results


def judge(target: SeriesFact, result: SeriesFact | None) -> str:
    """met / missed / pending (no result yet) / unknown (units differ or no direction to judge by)."""
    if result is None:
        return "pending"
    if target.unit != result.unit or (target.growth != result.growth and target.unit == "%"):
        return "unknown"
    t, r = target.value, result.value
    if target.direction == "lower":
        return "met" if r >= t * (1 - EXACT_TOLERANCE_SHARE) else "missed"
    if target.direction == "upper":
        return "met" if r <= t * (1 + EXACT_TOLERANCE_SHARE) else "missed"
    if target.direction == "range" and target.high is not None:
        # Inside the range is met, below it missed; above it no word says whether more is better.
        if r < t * (1 - EXACT_TOLERANCE_SHARE):
            return "missed"
        return "met" if r <= target.high * (1 + EXACT_TOLERANCE_SHARE) else "unknown"
    if target.direction == "around":
        tolerance = AROUND_TOLERANCE_POINTS if target.unit == "%" else abs(t) * AROUND_TOLERANCE_SHARE
        return "met" if abs(r - t) <= tolerance + 1e-9 else "missed"
    if abs(r - t) <= abs(t) * EXACT_TOLERANCE_SHARE:
        return "met"
    return "unknown"


def track(facts: Iterable[SeriesFact], *, place: str, metric: str, growth: bool | None = None) -> list[YearRow]:
    """One row per year, oldest first: the year's target, the later report's result, the status.

    `growth` True asks for rates of change (增长5%), False for levels; None follows the targets.
    """
    mine = [f for f in facts if f.place == place and f.metric == metric]
    if growth is None:
        kinds = Counter(f.growth for f in mine if f.target) or Counter(f.growth for f in mine)
        growth = kinds.most_common(1)[0][0] if kinds else False
    rows: list[YearRow] = []
    for year in sorted({f.year for f in mine}):
        targets = [f for f in mine if f.year == year and f.target]
        target = min(targets, key=lambda f: _target_rank(f, growth), default=None)
        results = [f for f in mine if f.year == year and not f.target and _after_year(f)]
        result = min(results, key=lambda f: _result_rank(f, target, growth), default=None)
        if target is None and result is not None and result.growth != growth:
            result = None
        if target is None and result is None:
            continue
        status = judge(target, result) if target is not None else "unknown"
        rows.append(YearRow(place, metric, year, target, result, status))
    return rows


def _after_year(f: SeriesFact) -> bool:
    """A result comes from a report made after its year (a same-year figure is partial)."""
    return f.doc_year is None or f.doc_year > f.year


def _target_rank(f: SeriesFact, growth: bool) -> tuple[Any, ...]:
    # The year's own plan first (the report of that year), stated among the targets and with a
    # direction (左右, 以上), the closest metric name, then order.
    in_targets = any(w in f.sentence for w in TARGET_SENTENCE_WORDS)
    return (
        f.growth != growth, f.doc_year != f.year, not in_targets, f.direction is None, f.gap,
        f.doc_date or "", f.doc, f.span,
    )


def _result_rank(f: SeriesFact, target: SeriesFact | None, growth: bool) -> tuple[Any, ...]:
    want_unit = target.unit if target is not None else None
    want_growth = target.growth if target is not None else growth
    later = f.doc_year is not None and f.doc_year > f.year
    # Same measure as the target, reported after the year (the later report is the outcome),
    # named right before the figure, exact (no 左右), latest report.
    return (
        want_unit is not None and f.unit != want_unit, f.growth != want_growth, not later,
        f.qualifier is not None, f.gap, _neg_date(f.doc_date), f.doc, f.span,
    )


def _neg_date(date: str | None) -> tuple[int, ...]:
    digits = [int(p) for p in (date or "").split("-") if p.isdigit()]
    return tuple(-d for d in digits) or (0,)


def metrics_for_place(facts: Iterable[SeriesFact], place: str) -> list[str]:
    """Metrics with targets or results for a place, those with the most years (then targets) first."""
    years: dict[str, set[int]] = {}
    targets: Counter[str] = Counter()
    for f in facts:
        if f.place != place:
            continue
        years.setdefault(f.metric, set()).add(f.year)
        targets[f.metric] += f.target
    return sorted(years, key=lambda m: (-len(years[m]), -targets[m], m))


@dataclass(frozen=True, slots=True)
class CompareRow:
    """One place's figure for a compared metric and year (None when it reports none)."""

    place: str
    fact: SeriesFact | None


def compare(
    facts: Iterable[SeriesFact], *, metric: str, places: list[str], year: int | None = None,
    growth: bool | None = None,
) -> tuple[int | None, list[CompareRow]]:
    """One metric across places for one year (the latest most places report): results, else targets."""
    mine = [f for f in facts if f.metric == metric and f.place in places]
    if growth is None:
        kinds = Counter(f.growth for f in mine)
        growth = kinds.most_common(1)[0][0] if kinds else False
    mine = [f for f in mine if f.growth == growth]
    if year is None:
        reported = [f for f in mine if not f.target and _after_year(f)] or mine
        per_year = Counter(y for y, _ in {(f.year, f.place) for f in reported})
        year = max(per_year, key=lambda y: (per_year[y], y)) if per_year else None
    rows = []
    for place in places:
        here = [f for f in mine if f.place == place and f.year == year]
        results = [f for f in here if not f.target and _after_year(f)]
        pool = results or here
        best = min(pool, key=lambda f: _result_rank(f, None, growth), default=None)
        rows.append(CompareRow(place, best))
    return year, rows


# Columns of the CSV export (one fact per line, with its source).
CSV_COLUMNS = (
    "place", "metric", "year", "kind", "value", "unit", "span", "qualifier", "direction",
    "growth", "doc", "title", "doc_date", "sentence",
)


def csv_record(f: SeriesFact) -> dict[str, Any]:
    """One SeriesFact as a CSV row (CSV_COLUMNS)."""
    return {
        "place": f.place, "metric": f.metric, "year": f.year,
        "kind": "target" if f.target else "result", "value": f.value, "unit": f.unit,
        "span": f.span, "qualifier": f.qualifier or "", "direction": f.direction or "",
        "growth": "yes" if f.growth else "", "doc": f.doc, "title": f.title,
        "doc_date": f.doc_date or "", "sentence": f.sentence,
    }


def write_csv(facts: Iterable[SeriesFact], out: Any) -> int:
    """Write facts as CSV (header first) to a text stream; return the number of rows."""
    import csv

    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    n = 0
    for f in sorted(facts, key=lambda f: (f.place, f.metric, f.year, not f.target, f.doc)):
        writer.writerow(csv_record(f))
        n += 1
    return n


def csv_bytes(facts: Iterable[SeriesFact]) -> bytes:
    """The facts as a UTF-8 CSV with a byte-order mark (spreadsheet software then reads Chinese right)."""
    import io

    buffer = io.StringIO()
    write_csv(facts, buffer)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# --------------------------------------------------------------------------- queries over the index


@dataclass(frozen=True, slots=True)
class TrackQuery:
    """A /track request resolved: the place, the metric, the years (empty → see the choices)."""

    place: Resolved
    metric: Resolved
    rows: tuple[YearRow, ...] = ()
    metrics: tuple[str, ...] = ()  # metrics known for the place (choices when none was given)


def track_query(index: SearchIndex, place_text: str, metric_text: str | None) -> TrackQuery:
    """Resolve a place and a metric as users type them and track the metric there, year by year."""
    if not (metric_text or "").strip():
        place_text, metric_text = split_place(place_text)
    place = resolve_place(index, place_text)
    if place.name is None:
        return TrackQuery(place, Resolved(None))
    where = place.name

    def known() -> tuple[str, ...]:
        # Every fact of the place is normalised: only when the metrics must be listed.
        return tuple(metrics_for_place(series_facts(index, place=where), where))

    if not metric_text or not metric_text.strip():
        return TrackQuery(place, Resolved(None), metrics=known())
    metric = resolve_metric(metric_text)
    if metric.name is None:
        metrics = known()
        return TrackQuery(place, resolve_metric(metric_text, metrics), metrics=metrics)
    facts = series_facts(index, place=where, metric=metric.name)
    growth = True if wants_growth(metric_text) else None
    rows = track(facts, place=where, metric=metric.name, growth=growth)
    return TrackQuery(place, metric, tuple(rows), () if rows else known())


def split_place(text: str) -> tuple[str, str]:
    """Split 全国GDP增长 (typed without a space) into the place it starts with and the rest."""
    from store.places import places_in

    simple = _simplified(text)
    found = places_in(simple)
    if found and found[0][0] == 0 and found[0][1] < len(simple):
        return simple[: found[0][1]], simple[found[0][1] :]
    return text, ""


@dataclass(frozen=True, slots=True)
class CompareQuery:
    """A /compare request resolved: the metric, each place typed, the year and one row per known place."""

    metric: Resolved
    places: tuple[tuple[str, Resolved], ...]  # (typed, resolved)
    year: int | None = None
    rows: tuple[CompareRow, ...] = ()


def compare_query(
    index: SearchIndex, metric_text: str, place_texts: Iterable[str], *, year: int | None = None
) -> CompareQuery:
    """Resolve a metric and places and compare the metric across the known places."""
    metric = resolve_metric(metric_text)
    places = tuple((t, resolve_place(index, t)) for t in place_texts)
    names = list(dict.fromkeys(r.name for _, r in places if r.name))
    if metric.name is None or not names:
        return CompareQuery(metric, places)
    facts = series_facts(index, metric=metric.name)
    growth = True if wants_growth(metric_text) else None
    when, rows = compare(facts, metric=metric.name, places=names, year=year, growth=growth)
    return CompareQuery(metric, places, when, tuple(rows))


def export_query(
    index: SearchIndex, place_text: str | None = None, metric_text: str | None = None
) -> tuple[Resolved | None, Resolved | None, list[SeriesFact]]:
    """The facts to export: all, one place's, one metric's or both (unresolved input → no facts)."""
    place = resolve_place(index, place_text) if place_text else None
    metric = resolve_metric(metric_text) if metric_text else None
    if place is not None and place.name is None and metric is None and place_text:
        as_metric = resolve_metric(place_text)  # /export 城镇新增就业: one word, a metric
        if as_metric.name is not None:
            place, metric = None, as_metric
    if (place and place.name is None) or (metric and metric.name is None):
        return place, metric, []
    facts = series_facts(
        index, place=place.name if place else None, metric=metric.name if metric else None
    )
    return place, metric, facts


def outcomes_reported_by(facts: Iterable[SeriesFact], doc_ids: Iterable[int]) -> list[YearRow]:
    """Years whose result comes from one of these (newly ingested) documents and that had a target.

    The digest can say "2024年 城镇新增就业 目标1200万人以上 → 实际1256万人 ✅" for new reports.
    """
    wanted = set(doc_ids)
    # Each (place, metric) is tracked over its own facts, not a scan of all facts per group.
    by_group: dict[tuple[str, str], list[SeriesFact]] = {}
    for f in facts:
        by_group.setdefault((f.place, f.metric), []).append(f)
    groups = {key for key, group in by_group.items() if any(f.doc_id in wanted and not f.target for f in group)}
    out: list[YearRow] = []
    for place, metric in sorted(groups):
        for row in track(by_group[(place, metric)], place=place, metric=metric):
            if row.target is not None and row.result is not None and row.result.doc_id in wanted:
                out.append(row)
    return out


# Outcomes are worked out for documents ingested this recently (a digest shows the documents
# since the chat's previous digest). Longer windows cover chats paused longer, at more work per load.
OUTCOME_WINDOW_DAYS = 14


def series_facts_from_db(*, session: Session, document_ids: Iterable[int] | None = None) -> list[SeriesFact]:
    """SeriesFacts read from the database (all documents, or the given ones)."""
    from sqlalchemy import select as sa_select
    from sqlmodel import col, select

    from store.models import Document, Fact, Sentence

    stmt_docs = select(Document)
    wanted = None if document_ids is None else list(document_ids)
    if wanted is not None:
        stmt_docs = stmt_docs.where(col(Document.id).in_(wanted))
    docs = {d.id: _document_info(d) for d in session.exec(stmt_docs) if d.id is not None}
    places = {i: p for i, d in docs.items() if (p := document_place(d)) is not None}
    if not places:
        return []
    # Plain columns, not ORM entities (a digest corpus load reads every recent place's figures).
    stmt = (
        sa_select(
            col(Fact.id), col(Fact.kind), col(Fact.span), col(Fact.value), col(Fact.unit),
            col(Fact.qualifier), col(Fact.target), col(Fact.period), col(Fact.label), col(Fact.subject),
            col(Fact.metric), col(Fact.sentence_id), col(Fact.document_id), col(Fact.start),
            col(Fact.end), col(Sentence.text),
        )
        .join(Sentence, col(Sentence.id) == col(Fact.sentence_id))
        .where(col(Fact.kind).in_(sorted(SERIES_KINDS)), col(Fact.period).is_not(None))
        .where(col(Fact.value).is_not(None), col(Fact.document_id).in_(list(places)))
        .order_by(col(Fact.document_id), col(Fact.sentence_id), col(Fact.start))
    )
    out: list[SeriesFact] = []
    simple_of: dict[str, str] = {}
    rows: list[Any] = list(session.execute(stmt).all())
    for (fact_id, kind, span, value, unit, qualifier, target, period, label, subject, metric,
         sentence_id, document_id, start, end, text) in rows:
        view = FactView(
            id=fact_id or 0, kind=kind, span=span, value=value, unit=unit, qualifier=qualifier,
            target=target, period=period, label=label, subject=subject, metric=metric,
            sentence_id=sentence_id, document_id=document_id, start=start, end=end,
        )
        simple = simple_of.get(text)
        if simple is None:
            simple = simple_of[text] = _simplified(text)
        item = normalise_fact(view, text, docs[document_id], places[document_id], simple)
        if item is not None:
            out.append(item)
    return out


def _document_info(doc: Any) -> DocumentInfo:
    return DocumentInfo(
        id=doc.id, name=doc.name, title=doc.title, regions=tuple(doc.regions or ()),
        year=doc.year, date=doc.date,
    )


def digest_outcomes(*, session: Session, now: datetime | None = None) -> list[DigestOutcome]:
    """Results that recently ingested documents report for earlier targets, for the digests."""
    from sqlmodel import col, select

    from store.digest import DigestOutcome, utc
    from store.metrics import metric_synonyms
    from store.models import Document, utcnow

    since = (now or utcnow()) - timedelta(days=OUTCOME_WINDOW_DAYS)
    recent: list[int] = []
    places: set[str] = set()
    all_docs = list(session.exec(select(Document).order_by(col(Document.id))))
    for doc in all_docs:
        at = utc(doc.ingested_at)
        if doc.id is not None and at is not None and at >= since:
            recent.append(doc.id)
            if (p := document_place(_document_info(doc))) is not None:
                places.add(p)
    if not places:
        return []
    same_place = [
        d.id for d in all_docs if d.id is not None and document_place(_document_info(d)) in places
    ]
    facts = series_facts_from_db(session=session, document_ids=same_place)
    out = []
    for row in outcomes_reported_by(facts, recent):
        if row.target is None or row.result is None or row.status == "unknown":
            continue  # a digest line says met or missed; what cannot be judged stays in /track
        out.append(DigestOutcome(
            document_id=row.result.doc_id, place=row.place, metric=row.metric, year=row.year,
            target=row.target.span, result=row.result.span, status=row.status,
            words=_place_words(row.place) + metric_synonyms(row.metric),
        ))
    return out


def _place_words(name: str) -> tuple[str, ...]:
    from store.places import lookup

    place = lookup(name)
    return (place.short,) if place is not None and place.short != name else ()
