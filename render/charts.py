"""PNG charts of targets against results and of comparisons, readable on a phone (CJK font shipped by mplfonts)."""

from __future__ import annotations

import functools
import importlib.util
import io
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from store.series import CompareRow, SeriesFact, YearRow

log = logging.getLogger(__name__)

# Sized for a phone: 1200 × 900 px at 150 dpi; type large enough to read without zooming.
FIGSIZE = (8.0, 6.0)
DPI = 150
FONT_SIZE = 16
TITLE_SIZE = 20
SOURCE_SIZE = 11
# The source under the chart: CJK characters per line at SOURCE_SIZE across the figure, and lines
# at most (a longer list is cut with …; the table message lists every source).
SOURCE_LINE_WIDTH = 48
SOURCE_MAX_LINES = 3
# The font file mplfonts ships (Noto Sans CJK SC): covers Chinese, Latin and digits.
FONT_PACKAGE = "mplfonts"
FONT_FILE = "fonts/NotoSansCJKsc-Regular.otf"

# More places than this and their names are slanted (and smaller) so they do not overlap.
MAX_LEVEL_LABELS = 6

TARGET_COLOR = "#9e9e9e"
RESULT_COLORS = {"met": "#2e7d32", "missed": "#c62828", "unknown": "#1565c0", "pending": "#1565c0"}
BAR_COLOR = "#1565c0"

_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class ChartLabels:
    """The words a chart shows (the caller passes them, so all Chinese strings stay in one module)."""

    title: str
    target: str
    result: str
    source_prefix: str
    no_value: str = ""


@functools.lru_cache(maxsize=1)
def font_path() -> Path:
    """The CJK font file inside the installed mplfonts package (found without importing it)."""
    spec = importlib.util.find_spec(FONT_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"{FONT_PACKAGE} is not installed: no CJK font for charts")
    path = Path(next(iter(spec.submodule_search_locations))) / FONT_FILE
    if not path.exists():
        raise RuntimeError(f"font file missing: {path}")
    return path


@functools.lru_cache(maxsize=1)
def _font_name() -> str:
    from matplotlib import font_manager

    path = font_path()
    font_manager.fontManager.addfont(str(path))
    return str(font_manager.FontProperties(fname=str(path)).get_name())


def display_scale(values: Sequence[float], unit: str) -> tuple[float, str]:
    """Divisor and axis unit for values in base units (12060000 人 → 万人; 1.2e14 CNY → 亿元)."""
    peak = max((abs(v) for v in values), default=0.0)
    money = {"CNY": "元", "USD": "美元"}.get(unit)
    base = money or unit
    if unit == "%":
        return 1.0, "%"
    if peak >= 1e12:
        return 1e12, f"万亿{base}"
    if peak >= 1e8:
        return 1e8, f"亿{base}"
    if peak >= 1e4:
        return 1e4, f"万{base}"
    return 1.0, base


def _number(value: float) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _sources(facts: Sequence[SeriesFact | None], prefix: str) -> str:
    seen: dict[str, None] = {}
    for f in facts:
        if f is not None:
            when = (f.doc_date or "")[:4] or (str(f.doc_year) if f.doc_year else "")
            title = f.title or f.doc
            seen[title if when and when in title else " ".join(p for p in (title, when) if p)] = None
    return wrap_cjk(prefix + "；".join(seen), SOURCE_LINE_WIDTH, SOURCE_MAX_LINES)


def wrap_cjk(text: str, width: float, max_lines: int) -> str:
    """Break text into lines of `width` CJK characters (Latin letters and digits count half)."""
    lines: list[str] = []
    line, used = "", 0.0
    for ch in text:
        w = 0.5 if ch.isascii() else 1.0
        if used + w > width:
            lines.append(line)
            line, used = "", 0.0
        line += ch
        used += w
    if line:
        lines.append(line)
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], lines[max_lines - 1][:-1] + "…"]
    return "\n".join(lines)


def _new_figure() -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=FIGSIZE, dpi=DPI)


def _png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _style() -> Any:
    return {
        "font.family": [_font_name()],
        "font.size": FONT_SIZE,
        "axes.titlesize": TITLE_SIZE,
        "axes.labelsize": FONT_SIZE,
        "xtick.labelsize": FONT_SIZE,
        "ytick.labelsize": FONT_SIZE,
        "legend.fontsize": FONT_SIZE - 2,
        "axes.unicode_minus": False,
    }


def track_chart(rows: Sequence[YearRow], labels: ChartLabels) -> bytes:
    """PNG: the target and the reported result for each year, coloured by met / missed."""
    import matplotlib

    facts = [f for r in rows for f in (r.target, r.result) if f is not None]
    unit = facts[0].unit if facts else ""
    divisor, axis_unit = display_scale([f.value for f in facts if f.unit == unit], unit)
    years = [r.year for r in rows]
    xs = list(range(len(rows)))
    width = 0.38
    with _lock, matplotlib.rc_context(_style()):
        fig = _new_figure()
        ax = fig.add_subplot()
        for i, row in enumerate(rows):
            if row.target is not None and row.target.unit == unit:
                value = row.target.value / divisor
                ax.bar(i - width / 2, value, width, color="white", edgecolor=TARGET_COLOR,
                       hatch="//", linewidth=2)
                ax.annotate(_number(value), (i - width / 2, value), ha="center", va="bottom",
                            fontsize=FONT_SIZE - 3, xytext=(0, 3), textcoords="offset points")
            if row.result is not None and row.result.unit == unit:
                value = row.result.value / divisor
                ax.bar(i + width / 2, value, width, color=RESULT_COLORS.get(row.status, BAR_COLOR))
                ax.annotate(_number(value), (i + width / 2, value), ha="center", va="bottom",
                            fontsize=FONT_SIZE - 3, xytext=(0, 3), textcoords="offset points")
        from matplotlib.patches import Patch

        ax.legend(
            handles=[
                Patch(facecolor="white", edgecolor=TARGET_COLOR, hatch="//", label=labels.target),
                Patch(facecolor=RESULT_COLORS["met"], label=labels.result),
            ],
            loc="upper left", bbox_to_anchor=(0, -0.1), ncol=2, frameon=False,
        )
        ax.set_xticks(xs, [str(y) for y in years])
        ax.set_ylabel(axis_unit)
        ax.set_title(labels.title)
        ax.margins(y=0.15)
        ax.spines[["top", "right"]].set_visible(False)
        fig.text(0.02, 0.02, _sources(facts, labels.source_prefix), fontsize=SOURCE_SIZE,
                 ha="left", va="bottom")
        fig.subplots_adjust(left=0.12, right=0.97, top=0.9, bottom=0.26)
        return _png(fig)


def compare_chart(rows: Sequence[CompareRow], labels: ChartLabels) -> bytes:
    """PNG: one bar per place for the compared metric (places without a figure say so)."""
    import matplotlib

    facts = [r.fact for r in rows if r.fact is not None]
    unit = facts[0].unit if facts else ""
    divisor, axis_unit = display_scale([f.value for f in facts if f.unit == unit], unit)
    with _lock, matplotlib.rc_context(_style()):
        fig = _new_figure()
        ax = fig.add_subplot()
        names = [r.place for r in rows]
        for i, row in enumerate(rows):
            if row.fact is None or row.fact.unit != unit:
                ax.annotate(labels.no_value, (i, 0), ha="center", va="bottom",
                            fontsize=FONT_SIZE - 3, xytext=(0, 3), textcoords="offset points")
                continue
            value = row.fact.value / divisor
            ax.bar(i, value, 0.6, color=TARGET_COLOR if row.fact.target else BAR_COLOR)
            ax.annotate(_number(value), (i, value), ha="center", va="bottom",
                        fontsize=FONT_SIZE - 3, xytext=(0, 3), textcoords="offset points")
        ax.set_xticks(list(range(len(names))), names)
        if len(names) > MAX_LEVEL_LABELS:
            ax.tick_params(axis="x", labelrotation=35, labelsize=FONT_SIZE - 3)
        ax.set_xlim(-0.6, len(names) - 0.4)
        ax.set_ylabel(axis_unit)
        ax.set_title(labels.title)
        ax.margins(y=0.15)
        ax.spines[["top", "right"]].set_visible(False)
        fig.text(0.02, 0.02, _sources(facts, labels.source_prefix), fontsize=SOURCE_SIZE,
                 ha="left", va="bottom")
        fig.subplots_adjust(left=0.12, right=0.97, top=0.9, bottom=0.2)
        return _png(fig)
