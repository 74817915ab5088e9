"""/track, /compare and /export replies: targets against results by year, comparisons, chart words."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from render import charts, replies, texts
from render.html import esc, source_line
from render.replies import Button, Reply
from store.series import CompareQuery, Resolved, SeriesFact, TrackQuery

CB_TRACK = "trk"  # trk:<token of "place\x1fmetric"> — track a chosen place/metric
SEP = "\x1f"  # between place and metric in a choice button's text
MAX_CHOICE_BUTTONS = 8
SOURCE_WIDTH = 80  # characters of a source sentence quoted under each year
# Turns a button's text into callback-sized token within a byte budget (QueryCache.token).
Tokenizer = Callable[[str, int], str]


@dataclass(frozen=True, slots=True)
class _Source:
    """A tracked figure's document as the one source line shows it."""

    title: str
    name: str
    date: str | None
    year: int | None
    regions: tuple[str, ...] = ()
    url: str | None = None


def _source(f: SeriesFact) -> str:
    return source_line(_Source(title=f.title, name=f.doc, date=f.doc_date, year=f.doc_year))


def _choice_buttons(token: Tokenizer, pairs: Sequence[tuple[str, str, str]]) -> tuple[tuple[Button, ...], ...]:
    """Buttons (label, place, metric) that track the chosen pair, two per row."""
    budget = replies.MAX_CALLBACK_DATA - len(CB_TRACK) - 1
    buttons = [
        Button(label, replies.callback(CB_TRACK, token(f"{place}{SEP}{metric}", budget)))
        for label, place, metric in pairs[:MAX_CHOICE_BUTTONS]
    ]
    return tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))


def _growth(query: TrackQuery) -> bool:
    """True when the tracked figures are rates of change (增长5%), not levels."""
    return any(f.growth for r in query.rows for f in (r.target, r.result) if f is not None)


def track_title(query: TrackQuery, metric_text: str) -> str:
    """Plain-text chart title: place · metric (增速 when rates were asked for)."""
    growth = _growth(query)
    metric = query.metric.name or metric_text
    return f"{query.place.name} · {metric}" + ("（增速）" if growth else "")


def track_reply(query: TrackQuery, place_text: str, metric_text: str, token: Tokenizer) -> Reply:
    """The year-by-year table with sources, or what to choose when the input did not resolve."""
    place = query.place.name
    if place is None:
        lines = [texts.TRACK_UNKNOWN_PLACE.format(place=replies.echo(place_text))]
        if query.place.choices:
            lines.append(texts.TRACK_CHOOSE_PLACE)
        pairs = [(p, p, metric_text) for p in query.place.choices]
        return Reply("\n".join(lines), _choice_buttons(token, pairs))
    if not query.rows:
        if not query.metrics:
            return Reply(texts.TRACK_NO_METRICS.format(place=esc(place)))
        lines = []
        if metric_text and query.metric.name is None:
            lines.append(texts.TRACK_UNKNOWN_METRIC.format(metric=replies.echo(metric_text)))
        elif metric_text:
            lines.append(texts.TRACK_NO_DATA.format(place=esc(place), metric=esc(query.metric.name)))
        lines.append(texts.TRACK_CHOOSE_METRIC.format(place=esc(place)))
        ordered = list(dict.fromkeys([*(c for c in query.metric.choices if c in query.metrics), *query.metrics]))
        return Reply("\n".join(lines), _choice_buttons(token, [(m, place, m) for m in ordered]))
    title = texts.TRACK_TITLE_GROWTH if _growth(query) else texts.TRACK_TITLE
    lines = [title.format(place=esc(place), metric=esc(query.metric.name))]
    for row in query.rows:
        lines.append("")
        lines.append(texts.TRACK_YEAR.format(
            year=row.year,
            target=esc(row.target.span) if row.target else texts.TRACK_NONE_VALUE,
            result=esc(row.result.span) if row.result else texts.TRACK_NONE_VALUE,
            status=texts.TRACK_STATUS[row.status],
        ))
        if row.target is not None:
            lines.append(texts.TRACK_TARGET_SOURCE.format(
                sentence=replies.snippet(row.target.sentence, row.target.span, SOURCE_WIDTH),
                source=_source(row.target),
            ))
        if row.result is not None:
            lines.append(texts.TRACK_RESULT_SOURCE.format(
                sentence=replies.snippet(row.result.sentence, row.result.span, SOURCE_WIDTH),
                source=_source(row.result),
            ))
    lines += ["", f"<i>{texts.TRACK_LEGEND}</i>"]
    return Reply("\n".join(lines))


def compare_reply(query: CompareQuery, metric_text: str) -> Reply:
    """The compared figures with their sources, or what is missing."""
    lines: list[str] = []
    if query.metric.name is None:
        lines.append(texts.TRACK_UNKNOWN_METRIC.format(metric=replies.echo(metric_text)))
        if query.metric.choices:
            lines.append("、".join(esc(c) for c in query.metric.choices))
        lines.append(texts.COMPARE_USAGE)
        return Reply("\n".join(lines))
    unknown = [typed for typed, r in query.places if r.name is None]
    if unknown:
        known = {c for _, r in query.places for c in r.choices}
        lines.append(texts.COMPARE_UNKNOWN_PLACES.format(
            places="、".join(replies.echo(u) for u in unknown), known="、".join(esc(k) for k in sorted(known)),
        ))
    if not any(r.fact for r in query.rows):
        if query.rows:
            lines.append(texts.COMPARE_NO_DATA.format(metric=esc(query.metric.name)))
        return Reply("\n".join(lines) or texts.COMPARE_USAGE)
    lines.append(texts.COMPARE_TITLE.format(metric=esc(query.metric.name), year=query.year))
    for row in query.rows:
        if row.fact is None:
            lines.append(texts.COMPARE_ROW_NONE.format(place=esc(row.place)))
            continue
        mark = texts.COMPARE_TARGET_MARK if row.fact.target else ""
        lines.append(texts.COMPARE_ROW.format(place=esc(row.place), value=esc(row.fact.span), mark=mark))
        lines.append(texts.COMPARE_SOURCE.format(
            sentence=replies.snippet(row.fact.sentence, row.fact.span, SOURCE_WIDTH),
            source=_source(row.fact),
        ))
    return Reply("\n".join(lines))


def chart_labels(title: str) -> charts.ChartLabels:
    """The chart words from texts (titles are plain text: matplotlib draws no HTML)."""
    return charts.ChartLabels(
        title=title, target=texts.CHART_TARGET, result=texts.CHART_RESULT,
        source_prefix=texts.CHART_SOURCE, no_value=texts.CHART_NO_VALUE,
    )


def track_caption(query: TrackQuery) -> str:
    """The caption under a /track chart."""
    return esc(texts.TRACK_CAPTION.format(place=query.place.name, metric=query.metric.name))


def export_unresolved(place_text: str | None, place: Resolved | None, metric_text: str | None,
                      metric: Resolved | None) -> Reply | None:
    """What /export could not resolve (place first, then metric), or None when both resolved."""
    if place is not None and place.name is None:
        lines = [texts.TRACK_UNKNOWN_PLACE.format(place=replies.echo(place_text or ""))]
        if place.choices:
            lines.append(texts.TRACK_CHOOSE_PLACE + "、".join(esc(c) for c in place.choices))
    elif metric is not None and metric.name is None:
        lines = [texts.TRACK_UNKNOWN_METRIC.format(metric=replies.echo(metric_text or ""))]
        if metric.choices:
            lines.append("、".join(esc(c) for c in metric.choices))
    else:
        return None
    lines.append(texts.EXPORT_USAGE_HINT)
    return Reply("\n".join(lines))
