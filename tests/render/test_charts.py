"""Charts: PNGs of a phone-readable size, every CJK glyph drawn from the shipped font."""

from __future__ import annotations

import struct
import warnings

import pytest

from render import charts
from store.series import CompareRow, SeriesFact, YearRow

LABELS = charts.ChartLabels("全国 · 国内生产总值增长（城镇调查失业率）", "目标", "实际", "来源：", "无数据")


def fact(year: int, value: float, unit: str = "%", *, target: bool) -> SeriesFact:
    return SeriesFact(
        place="全国", metric="地区生产总值", year=year, value=value, unit=unit, span=f"{value}{unit}",
        qualifier="左右" if target else None, target=target, direction="around" if target else None,
        growth=True, gap=0, doc=f"gwr_{year}.txt", doc_id=year, doc_year=year if target else year + 1,
        doc_date=f"{year if target else year + 1}-03-05", sentence="句子", title="政府工作报告",
    )


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def render_strictly(render, *args):  # type: ignore[no-untyped-def]
    """Render with every warning an error: matplotlib warns 'Glyph … missing from font(s)'."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return render(*args)


def test_track_chart_png() -> None:
    rows = [
        YearRow("全国", "地区生产总值", 2022, fact(2022, 5.5, target=True), fact(2022, 3.0, target=False), "missed"),
        YearRow("全国", "地区生产总值", 2023, fact(2023, 5.0, target=True), fact(2023, 5.2, target=False), "met"),
        YearRow("全国", "地区生产总值", 2025, fact(2025, 5.0, target=True), None, "pending"),
    ]
    data = render_strictly(charts.track_chart, rows, LABELS)
    width, height = png_size(data)
    assert (width, height) == (charts.FIGSIZE[0] * charts.DPI, charts.FIGSIZE[1] * charts.DPI)
    assert 10_000 < len(data) < 1_000_000


def test_compare_chart_png_with_a_place_without_data() -> None:
    rows = [
        CompareRow("山东省", fact(2024, 12_000_000, "人", target=False)),
        CompareRow("江苏省", fact(2024, 13_500_000, "人", target=False)),
        CompareRow("浙江省", None),
    ]
    data = render_strictly(charts.compare_chart, rows, LABELS)
    assert png_size(data) == (charts.FIGSIZE[0] * charts.DPI, charts.FIGSIZE[1] * charts.DPI)


def test_missing_glyph_warning_is_caught() -> None:
    """The strict render fails on a character the font lacks, so the tests above can fail."""
    rows = [YearRow("全国", "x", 2024, fact(2024, 5.0, target=True), None, "pending")]
    bad = charts.ChartLabels("\U0001fae8\U0001fae8", "目标", "实际", "来源：")  # glyphs no CJK font has
    with pytest.raises(UserWarning, match="missing from font"):
        render_strictly(charts.track_chart, rows, bad)


@pytest.mark.parametrize(
    ("values", "unit", "expected"),
    [([5.2], "%", (1.0, "%")), ([1.206e7], "人", (1e4, "万人")), ([1.349e14], "CNY", (1e12, "万亿元")),
     ([3e9], "CNY", (1e8, "亿元")), ([857], "亩", (1.0, "亩"))],
)
def test_display_scale(values: list[float], unit: str, expected: tuple[float, str]) -> None:
    assert charts.display_scale(values, unit) == expected


def test_wrap_cjk_breaks_long_sources() -> None:
    text = "来源：" + "；".join(["2025年山东省政府工作报告"] * 8)
    wrapped = charts.wrap_cjk(text, 20, 3)
    lines = wrapped.split("\n")
    assert len(lines) == 3 and lines[-1].endswith("…")
    assert all(len(line) <= 24 for line in lines)
    assert charts.wrap_cjk("短", 20, 3) == "短"
