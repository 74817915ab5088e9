"""Text tables in news: found in several layouts, never in prose, read cell by cell into facts, answered from."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from store.ingest.parse import parse_document
from store.ingest.repair import normalize_lines
from store.service import FactStore
from store.tables import find_tables, table_facts
from tests.store.textkit import store_of_texts, top_figure

FULL_WIDTH = (
    "宁乡经开区前三季度经济运行情况\n"
    "2025年10月20日　来源：长沙晚报\n"
    "　　今年以来，宁乡经开区坚持项目为王，经济运行稳中有进。\n"
    "　　表1　主要经济指标完成情况\n"
    "　　指标　　　　　　　　　前三季度　　　增长（%）\n"
    "　　规上工业总产值（亿元）　　　1203.5　　　　9.4\n"
    "　　税收收入（亿元）　　　　　　　36.8　　　　-2.1\n"
    "　　新增市场主体（户）　　　　　　2,314　　　　—\n"
    "　　下一步，园区将加快推进重点项目建设。\n"
)
BOX = (
    "│ 指标 │ 2024年 │ 2025年 │ 增速 │\n"
    "├──┼──┼──┼──┤\n"
    "│ 营业收入（亿元） │ 512.3 │ 560.8 │ 9.5% │\n"
    "│ 高新技术企业（家） │ 128 │ 147 │ 14.8% │\n"
)
PIPES = (
    "| 项目 | 金额（万元） | 占比（%） |\n"
    "|---|---|---|\n"
    "| 研发投入 | 8,600 | 42.5 |\n"
    "| 设备更新 | 5,100 | 25.2 |\n"
)
TABS = "指标\t1—6月\t上年同期\n进出口总额（亿元）\t98.7\t90.1\n实际使用外资（万美元）\t3,120\t2,880\n"


def _table(text: str):
    tables = find_tables(normalize_lines(text))
    assert len(tables) == 1, tables
    return tables[0]


def test_full_width_columns_caption_header_and_empty_cell() -> None:
    table = _table(FULL_WIDTH)
    assert table.caption == "表1 主要经济指标完成情况"
    assert table.columns == ("前三季度", "增长（%）")
    assert [r.label for r in table.rows] == ["规上工业总产值（亿元）", "税收收入（亿元）", "新增市场主体（户）"]
    assert table.rows[2].cells[1] is None  # — is an empty cell
    facts = table_facts(table, doc_year=2025)
    assert facts[0] == []  # the caption and header line state no figure
    output, growth = facts[1]
    assert (output.kind, output.span, output.value, output.unit, output.period) == (
        "money", "1203.5", 1203.5e8, "CNY", 2025)
    assert (growth.kind, growth.span, growth.value) == ("percent", "9.4", 9.4)
    row = table.rows[0].text
    assert row[output.start : output.end] == "1203.5" and row[growth.start : growth.end] == "9.4"
    tax_growth = facts[2][1]
    assert tax_growth.kind == "percent" and "下降" in (tax_growth.metric or "")  # -2.1 in a 增长 column
    (firms,) = facts[3]
    assert (firms.kind, firms.span, firms.value, firms.unit) == ("count", "2,314", 2314.0, "户")


def test_box_drawing_table_reads_each_columns_year() -> None:
    table = _table(BOX)
    assert table.columns == ("2024年", "2025年", "增速")
    revenue_2024, revenue_2025, growth = table_facts(table, doc_year=2026)[1]
    assert (revenue_2024.period, revenue_2025.period) == (2024, 2025)
    assert revenue_2025.value == pytest.approx(560.8e8) and growth.span == "9.5%"
    firms = table_facts(table, doc_year=2026)[2]
    assert [f.kind for f in firms] == ["count", "count", "percent"] and firms[1].unit == "家"


def test_markdown_pipes_units_in_the_header() -> None:
    table = _table(PIPES)
    amount, share = table_facts(table, doc_year=2025)[1]
    assert (amount.kind, amount.value, amount.span) == ("money", 8600e4, "8,600")
    assert (share.kind, share.value) == ("percent", 42.5)


def test_tab_columns_last_year_column_is_the_year_before() -> None:
    table = _table(TABS)
    this_year, last_year = table_facts(table, doc_year=2025)[1]
    assert (this_year.period, last_year.period) == (2025, 2024)
    fdi = table_facts(table, doc_year=2025)[2][0]
    assert (fdi.kind, fdi.unit, fdi.value) == ("money", "USD", 3120e4)


def test_rows_without_header_need_their_unit_in_the_label() -> None:
    assert find_tables(["地区生产总值（亿元） 867.2", "一般公共预算收入（亿元） 47.3"])
    assert not find_tables(["阅读 1234", "点赞 56"])


@pytest.mark.parametrize(
    "lines",
    [
        # prose, datelines, bylines, menus and share bars with spaces between their parts
        ["2026年06月24日 08:15 来源：甘肃经济日报", "记者 潘旭业 摄 2025"],
        ["北海市融媒体中心 2026-07-25 17:30", "首页 新闻 政务 服务"],
        ["全市新签约项目 158个，总投资 1126亿元", "其中 大湾区项目 62个，占比 四成"],
        ["浏览次数 1,287"],  # a single line is no table
        ["园区实现产值 742.5", "增长 13.2"],  # words without units and no header: not read as a table
        ["指标 绝对值 增长", "今年以来，全区实现地区生产总值 867.2 亿元。"],
    ],
)
def test_text_that_is_no_table(lines: list[str]) -> None:
    assert find_tables(lines) == []


_HAN = st.sampled_from(list("经开区园项目投资增长亿元同比产值企业全市实现完成新建规划"))
_CLAUSE = st.lists(
    st.one_of(
        st.text(_HAN, min_size=1, max_size=8),
        st.decimals(min_value=0, max_value=10_000, places=1).map(str),
    ),
    min_size=2,
    max_size=6,
).map(" ".join)


@settings(max_examples=200, deadline=None)
@given(st.lists(_CLAUSE, min_size=1, max_size=6))
def test_sentences_never_become_tables(clauses: list[str]) -> None:
    # Lines of prose end their clauses with Chinese punctuation: whatever their spaces, no table.
    lines = [c + p for c, p in zip(clauses, "，。；，。！", strict=False)]
    assert find_tables(lines) == []


def test_document_keeps_its_prose_and_reads_the_table_apart() -> None:
    doc = parse_document(FULL_WIDTH, name="ningxiang.txt")
    tables = [p for p in doc.paragraphs if p.table is not None]
    assert len(tables) == 1 and tables[0].kind == "body"
    assert tables[0].sentences[1:] == ["规上工业总产值（亿元） 1203.5 9.4", "税收收入（亿元） 36.8 -2.1",
                                       "新增市场主体（户） 2,314 —"]
    assert doc.title == "宁乡经开区前三季度经济运行情况"
    assert doc.date == "2025-10-20"
    assert doc.paragraphs[-1].sentences == ["下一步，园区将加快推进重点项目建设。"]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> FactStore:
    return store_of_texts(
        tmp_path_factory.mktemp("tables"),
        {
            "ningxiang.txt": FULL_WIDTH,
            "nanning.txt": "南宁高新区2025年主要指标\n2026年1月15日 来源：南宁日报\n"
            "　　2025年，南宁高新区经济平稳增长，工业投资持续发力。\n" + BOX,
        },
    )


@pytest.mark.parametrize(
    ("question", "figure", "row"),
    [
        ("宁乡经开区前三季度规上工业总产值多少", "1203.5", "规上工业总产值（亿元）"),
        ("宁乡经开区税收收入多少亿", "36.8", "税收收入（亿元）"),
        ("南宁高新区2025年营业收入多少", "560.8", "营业收入（亿元）"),
        ("南宁高新区高新技术企业增速多少", "14.8%", "高新技术企业（家）"),
    ],
)
def test_answers_quote_the_row_and_bold_its_cell(store: FactStore, question: str, figure: str, row: str) -> None:
    answers = store.ask(question)
    assert answers and row in answers[0].text, (question, answers[:1])
    assert top_figure(store, question) == figure


def test_unit_column_and_rank_cells() -> None:
    table = _table(
        "指标　单位　1—9月　全省排名\n"
        "地区生产总值　亿元　612.7　第3位\n"
        "实际使用外资　万美元　4,150　第一\n"
    )
    assert table.unit_column and table.columns == ("1—9月", "全省排名")
    gdp, rank = table_facts(table, doc_year=2025)[1]
    assert (gdp.kind, gdp.value, gdp.span) == ("money", 612.7e8, "612.7")
    assert (rank.kind, rank.value, rank.span) == ("rank", 3.0, "第3位")
    fdi, first = table_facts(table, doc_year=2025)[2]
    assert (fdi.unit, fdi.value) == ("USD", 4150e4) and (first.kind, first.value) == ("rank", 1.0)


def test_rows_of_places_take_the_measure_their_column_names() -> None:
    table = _table(
        "地区　规上工业产值（亿元）　增速（%）\n"
        "安宁市　356.2　7.9\n"
        "晋宁区　128.4　-1.5\n"
    )
    output, growth = table_facts(table, doc_year=2025)[1]
    assert output.kind == "money" and "规上工业产值" in (output.metric or "") and "安宁市" in output.label
    assert (growth.kind, growth.value) == ("percent", 7.9)


HTML_PAGE = """<html><head><title>澄江高新区一季度经济运行</title></head><body>
<div class="nav"><a href="/">首页</a> <a href="/news">新闻</a></div>
<article><h1>澄江高新区一季度经济运行</h1>
<p>发布时间：2026-04-18</p>
<p>一季度，澄江高新区经济运行开局良好，主要指标保持增长，工业投资、招商引资等工作稳步推进，园区企业生产经营总体平稳。</p>
<p>园区将继续抓好重点项目建设，推动新签约项目尽快开工投产，确保完成全年目标任务。</p>
<table><caption>主要经济指标（2026年一季度）</caption>
<tr><th>指标</th><th>绝对值</th><th>同比增长（%）</th></tr>
<tr><td>规上工业总产值（亿元）</td><td>88.6</td><td>9.1</td></tr>
<tr><td>工业投资（亿元）</td><td>21.3</td><td>14.7</td></tr>
</table>
<table><tr><td>联系我们</td><td>电话 0877-1234567</td></tr></table>
</article></body></html>"""


def test_a_web_page_table_of_figures_is_read_as_a_table() -> None:
    from store.ingest.html import extract_page

    page = extract_page(HTML_PAGE, name="chengjiang.html")
    tables = find_tables(normalize_lines(page.text))
    assert len(tables) == 1, page.text
    assert tables[0].caption == "主要经济指标（2026年一季度）"
    assert [r.label for r in tables[0].rows] == ["规上工业总产值（亿元）", "工业投资（亿元）"]
    assert "联系我们" not in page.text  # a layout table holding no figures adds nothing
    output, growth = table_facts(tables[0], doc_year=2026)[1]
    assert (output.value, growth.kind) == (88.6e8, "percent")


def test_unit_line_between_caption_header_and_rows() -> None:
    table = _table(
        "2025年全区外贸情况\n"
        "单位：亿元\n"
        "指标 全年 上年\n"
        "（单位：亿元）\n"
        "出口总额 320.5 298.1\n"
        "进口总额 188.2 201.7\n"
    )
    assert table.caption.startswith("2025年全区外贸情况") and table.header_line == "指标 全年 上年"
    this_year, last_year = table_facts(table, doc_year=2026)[1]
    assert (this_year.kind, this_year.value, this_year.period) == ("money", 320.5e8, 2025)
    assert last_year.period == 2024


def test_reread_replaces_what_an_older_reader_stored(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    import store.ingest.parse as parse_module

    folder = tmp_path_factory.mktemp("reread")
    with monkeypatch.context() as older:
        older.setattr(parse_module, "find_tables", lambda lines: [])  # a reader that knew no tables
        fact_store = store_of_texts(folder, {"ningxiang.txt": FULL_WIDTH})
    question = "宁乡经开区规上工业总产值同比增长多少"
    assert top_figure(fact_store, question) != "9.4"  # the column's growth rates were not read
    (again,) = fact_store.ingest_paths([folder / "ningxiang.txt"])
    assert again.status == "unchanged"  # the same text: kept as stored
    (reread,) = fact_store.ingest_paths([folder / "ningxiang.txt"], reread=True)
    assert reread.status == "replaced" and reread.facts > again.facts
    assert top_figure(fact_store, question) == "9.4"


def test_a_table_in_traditional_characters() -> None:
    table = _table(
        "主要經濟指標（2026年1—6月）\n"
        "指標　單位　絕對值　同比增長（%）\n"
        "進出口總額　億元　96.4　7.8\n"
        "新登記企業　戶　1,204　12.5\n"
        "工業產值　億元　213.5億元　9.9\n"
    )
    assert table.unit_column and len(table.rows) == 3
    trade, growth = table_facts(table, doc_year=2026)[1]
    assert (trade.kind, trade.value, trade.span, trade.period) == ("money", 96.4e8, "96.4", 2026)
    assert (growth.kind, growth.value) == ("percent", 7.8) and "进出口总额" in (growth.metric or "")
    firms = table_facts(table, doc_year=2026)[2][0]
    assert (firms.kind, firms.unit, firms.value) == ("count", "户", 1204.0)
    output = table_facts(table, doc_year=2026)[3][0]
    assert (output.span, output.value) == ("213.5億元", 213.5e8)  # the cell's own unit, as written
