"""Text tables in news (cells split by full-width spaces, tabs, space runs or │ bars): rows, header, facts."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from store.normalize import simplified_in_place

if TYPE_CHECKING:
    from store.extraction import ExtractedFact

# A table needs this many data rows in one block: a single "label  number" line is prose or chrome.
MIN_ROWS = 2
# Lines longer than this are prose, not a table's row, header or caption.
MAX_ROW_CHARS = 80
MAX_LABEL_CHARS = 30
MAX_CAPTION_CHARS = 40
MAX_GAP = 1  # blank lines allowed between two lines of one table (web pages put one after every line)

_BARS = "│┃|｜"
_BAR_SPLIT = re.compile(f"[{_BARS}]")
_BAR_CELL = re.compile(f"[^{_BARS}]+")
_SPACE_CELL = re.compile(r"\S+")
_HAN = re.compile(r"[\u3400-\u9fff]")
# A rule drawn with box characters or dashes (┌──┬──┐, ├──┼──┤, |---|:--:|, ------).
_BOX = "┌┐└┘├┤┬┴┼─━┏┓┗┛┣┫┳┻╋═╔╗╚╝╠╣╦╩╬╒╕╘╛╞╡╤╧╪│┃|｜:：+=_\\-"
_RULE = re.compile(rf"^[\s{_BOX}]+$")
_RULE_STROKE = re.compile(r"[─━═=_\-]")
_UNITS = (
    r"(?:[万亿千百]?(?:美元|欧元|元|人次|人|个|家|项|户|吨|亩|平方米|平方公里|公里|辆|台|件|套|座|所|千瓦时|千瓦|标箱|列|架次|艘|公顷))"
)
# A number cell: 186.9, 8,650, -3.2, 12.9%, 867.2亿元 (a short unit of measure may follow).
_NUMBER_CELL = re.compile(
    rf"^(?P<num>[-+−]?(?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.\d+)?)(?P<unit>%|‰|{_UNITS})?$"
)
_RANK_CELL = re.compile(r"^第(?P<num>\d+|[一二三四五六七八九十]{1,3})(?P<unit>位|名)?$")  # 第3位, 第一
_EMPTY_CELL = re.compile(r"^(?:[-—–－/…]{1,2}|——)$")  # a cell with no value in it
_SERIAL = re.compile(r"^\d{1,3}[.、]?$")
_PROSE = re.compile(r"[。，；！？,;!?]")
_LABEL_UNIT = re.compile(r"[（(]([^（）()]{1,8})[）)]\s*$")
_UNIT_ONLY = re.compile(r"^[（(]?单位[：:][^，。；,;]{1,12}[）)]?$")  # a line saying the table's unit
_UNIT_LINE = re.compile(r"单位[：:]\s*([^\s，,；;、）)]{1,6})")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年?")
_GROWTH = re.compile(r"同比|增长|增速|增幅|增减|比上年|±")
_SHARE = re.compile(r"比重|占比|占全")
_RANK = re.compile(r"排名|位次|名次|排位")
_TARGET = re.compile(r"目标|计划|预期")
_LAST_YEAR = re.compile(r"上年|去年|上一年")
_PERCENT_HEAD = re.compile(r"%|％|百分比")
_UNIT_HEAD = re.compile(r"^(?:计量)?单位$")  # a column holding each row's unit (地区生产总值  亿元  867.2)
# Column headers that name no measure of their own (the row label is the measure): periods, 绝对值, 总量 …
_PLAIN_HEAD = re.compile(
    r"\d|年|月|季|期|^(?:绝对值|总量|总额|数值|数量|金额|完成值?|累计(?:完成)?|实际|指标值|合计|总计|值|数据|规模)$"
)


@dataclass(frozen=True, slots=True)
class Cell:
    """A number cell of a row: its text and where it stands in the row's line."""

    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class TableRow:
    """A data row: its line as written, the row label (with its unit) and its value cells, column by column."""

    text: str
    label: str
    cells: tuple[Cell | None, ...]  # None: an empty cell (—)
    label_cells: tuple[str, ...] = ()  # the label's own cells (地区生产总值, 亿元 when a column holds units)


@dataclass(frozen=True, slots=True)
class TextTable:
    """A table found in a document's lines: lines first..last (inclusive), caption, column headers, rows."""

    first: int
    last: int
    caption: str
    header_line: str
    columns: tuple[str, ...]  # one header per value column ("" when the header does not say)
    rows: tuple[TableRow, ...]
    unit_column: bool = False  # the label's last cell is the row's unit (a 单位 column)

    def sentences(self) -> list[str]:
        """The table as sentences: its caption and header line (when any), then one per row as written."""
        head = " ".join(x for x in (self.caption, self.header_line) if x)
        return ([head] if head else []) + [r.text for r in self.rows]

    def context_words(self) -> str:
        """What every row means beyond its own words (caption, column headers), added to its search terms."""
        return " ".join(x for x in (self.caption, *self.columns) if x)


def _split(line: str) -> list[tuple[str, int, int]]:
    """Cells of a line with their offsets: between bars when it has any, else between spaces."""
    pattern = _BAR_CELL if _BAR_SPLIT.search(line) else _SPACE_CELL
    cells = []
    for m in pattern.finditer(line):
        text = m.group()
        stripped = text.strip()
        if stripped:
            start = m.start() + (len(text) - len(text.lstrip()))
            cells.append((stripped, start, start + len(stripped)))
    return cells


def _is_rule(line: str) -> bool:
    """A line drawn with box characters or dashes only (at least three strokes)."""
    return bool(_RULE.match(line)) and len(_RULE_STROKE.findall(line)) >= 3


def _s(text: str) -> str:
    """The text in simplified characters, for matching only (a table in traditional characters reads the same)."""
    return text if text.isascii() else simplified_in_place(text)


def _number_cell(cell: str) -> re.Match[str] | None:
    return _NUMBER_CELL.match(cell) or (None if cell.isascii() else _NUMBER_CELL.match(_s(cell)))


def _is_value(cell: str) -> bool:
    return bool(_number_cell(cell) or _RANK_CELL.match(cell) or _EMPTY_CELL.match(cell))


def _is_figure(cell: str) -> bool:
    return bool(_number_cell(cell) or _RANK_CELL.match(cell))


def _data_row(line: str) -> TableRow | None:
    """The line read as a row (label, then only value cells), or None when it is something else."""
    if not line or len(line) > MAX_ROW_CHARS:
        return None
    cells = _split(line)
    if len(cells) >= 3 and _SERIAL.match(cells[0][0]) and not _is_value(cells[1][0]):
        cells = cells[1:]  # a serial number before the label
    k = 0
    while k < len(cells) and _is_value(cells[len(cells) - 1 - k][0]):
        k += 1
    if k == 0 or k == len(cells):
        return None
    values = cells[len(cells) - k :]
    if not any(_number_cell(c[0]) for c in values):
        return None  # ranks alone (第一  第二) are no figures table
    label = line[cells[0][1] : cells[len(cells) - k - 1][2]].strip(" " + _BARS)
    if (
        len(label) > MAX_LABEL_CHARS
        or len(_HAN.findall(label)) < 2
        or _PROSE.search(label)
        or label[-1] in "：:"
    ):
        return None
    return TableRow(
        text=line,
        label=label,
        cells=tuple(Cell(t, s, e) if _is_figure(t) else None for t, s, e in values),
        label_cells=tuple(c[0] for c in cells[: len(cells) - k]),
    )


def _header(line: str, width: int) -> tuple[tuple[str, ...], bool] | None:
    """Column headers of a header line for `width` value columns and whether a 单位 column holds the units.

    None when the line is no header of such a table.
    """
    if not line or len(line) > MAX_ROW_CHARS or _PROSE.search(line) or _data_row(line) is not None:
        return None
    cells = [c[0] for c in _split(line)]
    if not _BAR_SPLIT.search(line):
        merged: list[str] = []
        for c in cells:  # 同比增长 （%） is one header
            if merged and c[0] in "（(":
                merged[-1] += c
            else:
                merged.append(c)
        cells = merged
    if len(cells) < 2 or any(_is_figure(c) for c in cells):
        return None
    if width <= len(cells) <= width + 1:
        return tuple(cells[len(cells) - width :]), False
    if len(cells) == width + 2 and _UNIT_HEAD.match(_s(cells[1])):
        return tuple(cells[2:]), True
    return None


_CAPTION_WORDS = re.compile(r"表|指标|情况|单位|如下|统计|一览|数据|汇总|明细|[：:]$")


def _is_caption(line: str) -> bool:
    """A short line above a table's header that says what the table is (主要经济指标（2026年1—6月））."""
    return (
        len(line) <= MAX_CAPTION_CHARS
        and not _PROSE.search(line)
        and not _is_rule(line)
        and bool(_CAPTION_WORDS.search(_s(line)))
    )


def _step(lines: Sequence[str], i: int, direction: int) -> int | None:
    """The next non-blank line from i (exclusive) in a direction, skipping at most MAX_GAP blanks; None if none."""
    j = i + direction
    gap = 0
    while 0 <= j < len(lines) and not lines[j]:
        gap += 1
        j += direction
    if gap > MAX_GAP or not 0 <= j < len(lines):
        return None
    return j


def find_tables(lines: Sequence[str]) -> list[TextTable]:
    """Tables among a document's normalised lines ('' for a blank line), in order, not overlapping."""
    tables: list[TextTable] = []
    i = 0
    n = len(lines)
    while i < n:
        row = _data_row(lines[i])
        if row is None:
            i += 1
            continue
        width = len(row.cells)
        rows = [row]
        last = i
        j = _step(lines, i, 1)
        while j is not None:
            if _is_rule(lines[j]):
                last = j
                j = _step(lines, j, 1)
                continue
            nxt = _data_row(lines[j])
            if nxt is None or len(nxt.cells) != width:
                break
            rows.append(nxt)
            last = j
            j = _step(lines, j, 1)
        table = _assemble(lines, i, last, rows, width, tables[-1].last if tables else -1)
        if table is not None:
            tables.append(table)
            i = table.last + 1
        else:
            i += 1
    return tables


def _assemble(
    lines: Sequence[str], first_row: int, last: int, rows: list[TableRow], width: int, floor: int
) -> TextTable | None:
    """The table of a run of rows, with the header and caption above it, if the run makes one."""
    if len(rows) < MIN_ROWS:
        return None
    first = first_row
    columns: tuple[str, ...] | None = None
    unit_column = False
    header_line = caption = ""
    notes: list[str] = []  # 单位：亿元 lines above the rows or the header

    def up(j: int | None) -> int | None:
        """From line j upwards, past rule lines and unit lines (they belong to the table)."""
        nonlocal first
        while j is not None and j > floor and (_is_rule(lines[j]) or _UNIT_ONLY.match(_s(lines[j]))):
            if not _is_rule(lines[j]):
                notes.insert(0, lines[j])
            first = j
            j = _step(lines, j, -1)
        return j if j is not None and j > floor else None

    j = up(_step(lines, first_row, -1))
    if j is not None:
        found = _header(lines[j], width)
        if found is not None:
            columns, unit_column = found
            header_line, first = lines[j], j
            j = up(_step(lines, j, -1))
            if j is not None and _is_caption(lines[j]) and _data_row(lines[j]) is None:
                caption, first = lines[j], j
    if columns is None:
        # No header: the rows must say what they measure (进出口总额（亿元）) to be read as a table.
        if not all(_LABEL_UNIT.search(r.label) for r in rows):
            return None
        columns = ("",) * width
    if unit_column and not all(len(r.label_cells) >= 2 for r in rows):
        return None
    caption = " ".join(x for x in (caption, *notes) if x)
    return TextTable(first, last, caption, header_line, columns, tuple(rows), unit_column)


def _unit_of(text: str) -> str | None:
    m = _UNIT_LINE.search(text) or _LABEL_UNIT.search(text)
    return m.group(1).strip() if m else None


def _number(cell: Cell) -> str:
    """The number a cell states, as written (without sign, 第 or unit)."""
    m = _number_cell(cell.text) or _RANK_CELL.match(cell.text)
    assert m is not None
    return m["num"].replace("−", "-").lstrip("+-")


def _phrase(label: str, column: str, cell: Cell, unit: str | None) -> str | None:
    """A plain sentence saying what one cell says, for the extractor to read (None: nothing it could read)."""
    num = _number(cell)
    if _RANK.search(column) or _RANK_CELL.match(cell.text):
        return f"{label}排名第{num}位"
    m = _number_cell(cell.text)
    assert m is not None
    cell_unit = m["unit"]
    negative = m["num"].startswith(("-", "−"))
    name = _LABEL_UNIT.sub("", column).strip()
    if len(_HAN.findall(name)) >= 2 and not _PLAIN_HEAD.search(name) and not _GROWTH.search(name):
        label += name  # a column naming its own measure (天水市  规上工业产值（亿元）): the row's figure of it
    percent = cell_unit in ("%", "‰") or unit == "%" or bool(_PERCENT_HEAD.search(column))
    if percent or _GROWTH.search(column) or _SHARE.search(column):
        sign = cell_unit if cell_unit in ("%", "‰") else "%"
        if _SHARE.search(column):
            return f"{label}占比为{num}{sign}"
        if _GROWTH.search(column):
            return f"{label}{'同比' if '同比' in column else ''}{'下降' if negative else '增长'}{num}{sign}"
        return f"{label}为{'-' if negative else ''}{num}{sign}"
    unit = cell_unit or unit
    if not unit or unit == "%":
        return None
    target = "目标" if _TARGET.search(column) else ""
    return f"{label}{target}为{'-' if negative else ''}{num}{unit}"


def table_facts(table: TextTable, *, doc_year: int | None, period: int | None = None) -> list[list[ExtractedFact]]:
    """Facts of each of table.sentences() (none for the header), spans and offsets those of the row as written.

    A cell is read with its row's label, its unit (the label's (亿元), the column's, the caption's 单位),
    its column's meaning (同比增长 → a growth rate, 比重 → a share, 排名 → a rank, 目标 → a target) and
    period (a year in the column's header, 上年 → the year before, else the caption's year or `period`).
    """
    from store.extraction import extract_facts  # local: extraction loads its lexicons on import

    caption, header = _s(table.caption), _s(table.header_line)  # traditional characters read as simplified
    caption_year = _YEAR.search(caption)
    base = int(caption_year.group(1)) if caption_year else (period if period is not None else doc_year)
    table_unit = _unit_of(caption) or _unit_of(header)
    out: list[list[ExtractedFact]] = [[]] if (table.caption or table.header_line) else []
    for row in table.rows:
        row_label = _s(row.label)
        label_unit = _unit_of(row_label)
        label = _LABEL_UNIT.sub("", row_label).strip() or row_label
        if table.unit_column:
            label_unit, label = _s(row.label_cells[-1]), _s(" ".join(row.label_cells[:-1]))
        found: list[ExtractedFact] = []
        for source_column, cell in zip(table.columns, row.cells, strict=True):
            if cell is None:
                continue
            column = _s(source_column)
            year_m = _YEAR.search(column)
            col_year = int(year_m.group(1)) if year_m else base
            if not year_m and col_year is not None and _LAST_YEAR.search(column):
                col_year -= 1
            column_unit = _unit_of(column)
            phrase = _phrase(label, column, cell, column_unit or label_unit or table_unit)
            if phrase is None:
                continue
            facts = extract_facts(phrase, doc_year=doc_year, context_period=col_year)
            at = phrase.rfind(_number(cell))
            fact = next((f for f in facts if f.start <= at < f.end and f.kind != "date"), None)
            if fact is None:
                continue
            found.append(replace(fact, span=cell.text, start=cell.start, end=cell.end))
        out.append(found)
    return out
