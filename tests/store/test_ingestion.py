"""Tests for store.ingest: decoding, normalisation, paragraph repair, tagging, metadata, storage."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from store.db import init_db, make_engine, session_scope
from store.ingest import repair, writer
from store.ingest.decode import IngestError, decode_bytes
from store.ingest.parse import ParsedDocument, parse_document
from store.ingest.repair import collapse_spaced_han, normalize_lines, split_sentences
from store.ingest.writer import ingest_bytes, ingest_paths
from store.models import Document, Fact, Sentence
from store.normalize import fold_width
from tests.dbkit import database_url

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
SEED_000 = SEEDS / "000_23584d56bc5f865a.txt"
SEED_004 = SEEDS / "004_9ba4c9d2bb8ea06c.txt"
EXTERNAL = Path("/work/shared/corpus/external")
EXTERNAL_FILES = sorted(EXTERNAL.glob("*.txt")) if EXTERNAL.exists() else []

needs_external = pytest.mark.skipif(
    len(EXTERNAL_FILES) != 14, reason="external corpus not available"
)

# The wiki licence footer of the State Council reports is cut into link-sized lines.
LICENCE_JOINS = [
    "中华人民共和国的|法律",
    "人民共和国的法律|、",
    "民共和国的法律、|法规",
    "和国的法律、法规|，国家机关的决议",
    "正式译文。根据《|中华人民共和国著",
    "民共和国著作权法|》第五条第一项，",
    "不适用于该法，在|中国大陆",
    "该法，在中国大陆|，也可能在其他管",
    "其他管辖区，属于|公有领域",
    "区，属于公有领域|。",
    "共和国公务演讲，|不总是",
    "公务演讲，不总是|具有立法、行政、",
]
# Every join made on the 14 held-out reports, checked by eye: all are mid-sentence breaks left by
# wiki links (PM2.5, RCEP, CPTPP, the licence footer); none joins a heading or a list item.
EXPECTED_EXTERNAL_JOINS = {
    "gwr_2022_national_state_council.txt": [
        "市细颗粒物（PM|2.5",
        "粒物（PM2.5|）平均浓度下降9",
        *LICENCE_JOINS,
    ],
    "gwr_2023_national_state_council.txt": [
        "”扎实推进。推动|区域全面经济伙伴",
        "经济伙伴关系协定|（RCEP）生效",
        "遇。积极推动加入|全面与进步跨太平",
        "平洋伙伴关系协定|（CPTPP）等",
        *LICENCE_JOINS,
    ],
    "gwr_2024_national_state_council.txt": LICENCE_JOINS,
    "gwr_2025_national_state_council.txt": LICENCE_JOINS,
}


def _parse(path: Path) -> ParsedDocument:
    return parse_document(decode_bytes(path.read_bytes(), name=path.name), name=path.name)


def _texts(doc: ParsedDocument, kind: str) -> list[str]:
    return [p.text for p in doc.paragraphs if p.kind == kind]


@pytest.fixture(scope="module")
def seed000() -> ParsedDocument:
    return _parse(SEED_000)


@pytest.fixture(scope="module")
def seed004() -> ParsedDocument:
    return _parse(SEED_004)


@pytest.fixture(scope="module")
def external() -> dict[str, ParsedDocument]:
    return {p.name: _parse(p) for p in EXTERNAL_FILES}


@pytest.fixture()
def engine(tmp_path: Path) -> Engine:
    eng = make_engine(database_url(tmp_path, "test"))
    init_db(eng)
    return eng


@pytest.fixture()
def session(engine: Engine) -> Iterator[Session]:
    with session_scope(engine) as s:
        yield s


def _counts(session: Session) -> tuple[int, int, int]:
    return (
        int(session.exec(select(func.count()).select_from(Document)).one()),
        int(session.exec(select(func.count()).select_from(Sentence)).one()),
        int(session.exec(select(func.count()).select_from(Fact)).one()),
    )


# ------------------------------------------------------------------------------------ normalisation


def test_full_width_is_folded_but_chinese_punctuation_kept() -> None:
    assert normalize_lines("增长３０．２％，ＢＯＥ　") == ["增长30.2%，BOE"]


def test_crlf_bom_and_indentation() -> None:
    text = decode_bytes(
        "\ufeff\u3000\u3000现在，我代表省人民政府。\r\n\r\n  一、2024年工作回顾\r\n".encode(),
        name="x.txt",
    )
    assert normalize_lines(text) == ["现在，我代表省人民政府。", "", "一、2024年工作回顾"]


def test_markdown_heading_marks_are_dropped() -> None:
    doc = parse_document(
        "# 青岛开发区年度报告\n\n## 一、总体情况\n\n总投资81.7亿元。\n", name="a.md"
    )
    assert doc.title == "青岛开发区年度报告"
    assert [(p.kind, p.text) for p in doc.paragraphs[1:]] == [
        ("heading", "一、总体情况"),
        ("body", "总投资81.7亿元。"),
    ]


def test_foldable_pattern_covers_every_folded_character() -> None:
    changed = [chr(cp) for cp in range(0x10000) if fold_width(chr(cp)) != chr(cp)]
    changed += [chr(cp) for cp in repair._EXTRA_FOLD]
    assert changed
    assert all(repair._FOLDABLE.fullmatch(ch) for ch in changed)
    assert not repair._FOLDABLE.search("，。：；（）！？")


def test_spaced_title_collapses(seed004: ParsedDocument) -> None:
    assert seed004.title == "青岛经济技术开发区：攻坚克难、创新突破，勇当全国改革开放排头兵"
    assert seed004.paragraphs[0].kind == "title"


@pytest.mark.parametrize(
    "line",
    [
        "孟君韬 摄",
        "记者 潘旭业",
        "通讯员 刘伟 李涛",
        "聚焦四大国家战略 加快重点领域改革创新",
        "(王凯 王敏 李贝科)",
    ],
)
def test_single_spaces_are_kept(line: str) -> None:
    assert collapse_spaced_han(line) == line


def test_spaced_runs_need_four_characters() -> None:
    assert collapse_spaced_han("青 岛 经 济 技术") == "青岛经济 技术"
    assert collapse_spaced_han("东 西 南") == "东 西 南"


def test_names_padded_with_ideographic_space_are_joined() -> None:
    assert normalize_lines("国务院总理\u3000\n李\u3000强") == ["国务院总理", "李强"]
    assert normalize_lines("聚焦四大国家战略\u3000加快重点领域改革创新") == [
        "聚焦四大国家战略 加快重点领域改革创新"
    ]


@needs_external
def test_split_name_becomes_author(external: dict[str, ParsedDocument]) -> None:
    assert external["gwr_2024_national_state_council.txt"].authors == ["李强"]
    assert external["gwr_2022_national_state_council.txt"].authors == ["李克强"]


# ------------------------------------------------------------------------------------ repair


def test_the_four_seed_breaks_are_joined(seed000: ParsedDocument, seed004: ParsedDocument) -> None:
    assert seed000.joins == ["区将坚持把发展经|济的着力点放在实", "99%，占全省比|重超过七成，不断"]
    assert seed004.joins == ["企业入驻。规划占|地857亩，承载", "发展主题，以市场|化改革、高水平开"]
    body = "".join(_texts(seed000, "body") + _texts(seed004, "body"))
    for joined in ("坚持把发展经济的着力点", "占全省比重超过七成", "规划占地857亩", "以市场化改革"):
        assert joined in body
    assert not any(
        s.endswith(("发展经", "全省比", "规划占", "以市场"))
        for s in seed000.sentences() + seed004.sentences()
    )


@needs_external
def test_joins_on_external_reports_are_all_mid_sentence(
    external: dict[str, ParsedDocument],
) -> None:
    joins = {name: doc.joins for name, doc in external.items() if doc.joins}
    for name, found in joins.items():
        print(name, found)
    assert joins == EXPECTED_EXTERNAL_JOINS
    for doc in external.values():
        for para in doc.paragraphs:
            if para.kind == "heading":
                assert len(para.text) <= 60  # no heading swallowed a following paragraph


@needs_external
def test_numbered_headings_stay_headings(external: dict[str, ParsedDocument]) -> None:
    henan = external["gwr_2025_province_henan.txt"]
    headings = _texts(henan, "heading")
    assert "（一）更大力度推动全方位扩大内需" in headings
    assert "三、2025年重点工作" in headings
    fujian = external["gwr_2025_province_fujian.txt"]
    assert "（一）筑牢实体根基，产业体系现代化水平进一步提升" in _texts(fujian, "heading")


# ------------------------------------------------------------------------------------ tagging


def test_captions_and_bylines_in_000(seed000: ParsedDocument) -> None:
    assert _texts(seed000, "caption") == [
        "青岛西海岸新区风貌。孟君韬 摄",
        "西海岸新区城市更新和城市建设2023年一季度攻坚项目集中开工仪式。卢炳君 摄",
        "青岛西海岸新区做强跨境电商。",
    ]
    assert _texts(seed000, "byline") == ["记者 潘旭业", "通讯员 刘伟 李涛"]
    assert _texts(seed000, "heading")[0] == "聚焦四大国家战略 加快重点领域改革创新"
    assert seed000.authors == ["潘旭业", "刘伟", "李涛"]


def test_captions_and_bylines_in_004(seed004: ParsedDocument) -> None:
    captions = _texts(seed004, "caption")
    assert captions[:2] == [
        "■1月28日，上汽通用五菱青岛分公司生产车间，工人们在焊接作业。",
        "张进刚 摄",
    ]
    assert len(captions) == 7 and all(c.startswith("■") or c.endswith("摄") for c in captions)
    assert _texts(seed004, "byline") == ["(王凯 王敏 李贝科)"]
    assert seed004.authors == ["王凯", "王敏", "李贝科"]
    last_body = _texts(seed004, "body")[-1]
    assert last_body.endswith("青岛开发区正在高质量发展的新征程上加速疾行。")


@needs_external
def test_report_front_matter_is_byline(external: dict[str, ParsedDocument]) -> None:
    guangdong = external["gwr_2025_province_guangdong.txt"]
    assert _texts(guangdong, "byline") == [
        "来源 : 南方日报",
        "——2025年1月15日在广东省第十四届人民代表大会第三次会议上",
        "广东省省长 王伟中",
    ]
    national = external["gwr_2022_national_state_council.txt"]
    bylines = _texts(national, "byline")
    assert bylines[:3] == [
        "——2022年3月5日在第十三届全国人民代表大会第五次会议上",
        "国务院总理",
        "李克强",
    ]
    assert any("公有领域" in b for b in bylines)  # the wiki licence note is not report text
    assert not any("维基文库" in s for s in national.sentences("body"))


# ------------------------------------------------------------------------------------ sentences


def test_sentence_ends_after_closing_quote() -> None:
    text = "“我们的海外仓出口货物收齐后就可以申请办理出口退税，为我们增添了信心和力量。”企业总经理张智谋欣喜地说。"
    assert split_sentences(text) == [
        "“我们的海外仓出口货物收齐后就可以申请办理出口退税，为我们增添了信心和力量。”",
        "企业总经理张智谋欣喜地说。",
    ]


def test_quotation_with_several_sentences_stays_whole() -> None:
    assert split_sentences("他说：“先行先试。善作善成！”随后开工。") == [
        "他说：“先行先试。善作善成！”",
        "随后开工。",
    ]


def test_split_on_semicolon_ellipsis_and_half_width() -> None:
    assert split_sentences("推出100项以上创新举措；推动试点取得新突破……今年，新区将发力!好吗?") == [
        "推出100项以上创新举措；",
        "推动试点取得新突破……",
        "今年，新区将发力!",
        "好吗?",
    ]


def test_brackets_keep_semicolons_and_decimals() -> None:
    assert split_sentences("出台“414”系列方案(即确定4条主线；建设园区)。增长30.2%。") == [
        "出台“414”系列方案(即确定4条主线；建设园区)。",
        "增长30.2%。",
    ]


def test_unbalanced_quotes_do_not_swallow_the_paragraph() -> None:
    assert split_sentences("他说：“先行先试。随后开工。再接再厉。") == [
        "他说：“先行先试。",
        "随后开工。",
        "再接再厉。",
    ]


# ------------------------------------------------------------------------------------ metadata


def test_metadata_000(seed000: ParsedDocument) -> None:
    # 000 has no title line: its headline is the two lines above the reporter byline.
    assert seed000.title == "青岛西海岸新区：创新突破，全面实现高质量发展"
    assert seed000.regions[0] == "青岛西海岸新区"
    assert "新和县" not in seed000.regions  # 创新和… is no county
    assert seed000.year == 2023
    # No date line: the year is certain (癸卯兔年), the day is not — 1月28日 and 2月2日 are events.
    assert seed000.date == "2023"
    assert seed000.date_source is not None and "癸卯兔年" in seed000.date_source


def test_metadata_004(seed004: ParsedDocument) -> None:
    assert seed004.regions[0] == "青岛经济技术开发区"  # 青岛开发区 is an alias
    assert seed004.year == 2023  # 2022 is mentioned more often, but 2023 is the text's present
    assert seed004.date is None  # nothing in the text says when it was written


@needs_external
@pytest.mark.parametrize(
    ("name", "title", "region", "year", "date", "author"),
    [
        (
            "gwr_2025_province_shandong.txt",
            "2025年山东省政府工作报告",
            "山东省",
            2025,
            "2025-01-20",
            "周乃翔",
        ),
        (
            "gwr_2025_province_shanghai.txt",
            "2025年上海市政府工作报告",
            "上海市",
            2025,
            "2025-01-15",
            "龚正",
        ),
        (
            "gwr_2025_province_tianjin.txt",
            "2025年天津市政府工作报告",
            "天津市",
            2025,
            "2025-01-14",
            "张工",
        ),
        (
            "gwr_2025_province_sichuan.txt",
            "2025年四川省政府工作报告",
            "四川省",
            2025,
            "2025-01-20",
            "施小琳",
        ),
        (
            "gwr_2022_national_state_council.txt",
            "政府工作报告",
            "全国",
            2022,
            "2022-03-05",
            "李克强",
        ),
        (
            "gwr_2023_national_state_council.txt",
            "政府工作报告",
            "全国",
            2023,
            "2023-03-05",
            "李克强",
        ),
        ("gwr_2025_national_state_council.txt", "政府工作报告", "全国", 2025, "2025", None),
    ],
)
def test_metadata_external(
    external: dict[str, ParsedDocument],
    name: str,
    title: str,
    region: str,
    year: int,
    date: str,
    author: str | None,
) -> None:
    doc = external[name]
    assert doc.title == title
    assert doc.regions[0] == region
    assert doc.year == year
    assert doc.date == date
    assert doc.authors == ([author] if author else [])
    if len(date) == 10:
        assert doc.date_source is not None and doc.date_source.startswith("delivery:")


def test_year_ignores_future_targets() -> None:
    doc = parse_document("2023年，新区总投资1000亿元。到2035年，全面建成新区。\n", name="x.txt")
    assert doc.year == 2023


# ------------------------------------------------------------------------------------ decoding


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "文件为空"),
        (b"  \n\r\n\t", "文件为空"),
        ("\u3000\u3000\n".encode(), "文件为空"),
        (b"PK\x03\x04\x00\x00binary", "二进制"),
        (bytes(range(1, 9)) * 50 + "正文。".encode(), "二进制"),
        (b"\x80\x80\x81\x20\xff\xfe\xff", "无法解码"),
        (b"\xfe\xfe" * 40, "无法解码"),  # GB18030 "decodes" it to private-use characters
    ],
)
def test_decode_refusals_name_the_file(data: bytes, reason: str) -> None:
    with pytest.raises(IngestError) as info:
        decode_bytes(data, name="004.txt")
    assert str(info.value).startswith("004.txt: ")
    assert reason in str(info.value)


def test_gb18030_and_utf16_decode() -> None:
    text = SEED_000.read_text(encoding="utf-8")
    assert decode_bytes(text.encode("gb18030"), name="gb.txt") == text
    assert decode_bytes(text.encode("utf-16"), name="u16.txt") == text
    assert decode_bytes(b"\xef\xbb\xbf" + text.encode(), name="bom.txt") == text


# ------------------------------------------------------------------------------------ storage


def test_ingest_stores_rows(session: Session) -> None:
    report = ingest_bytes(
        SEED_004.read_bytes(), name=SEED_004.name, session=session, path=str(SEED_004)
    )
    assert report.status == "added" and report.document_id is not None
    doc = session.get(Document, report.document_id)
    assert doc is not None
    assert doc.title.startswith("青岛经济技术开发区")
    assert doc.regions[0] == "青岛经济技术开发区" and doc.year == 2023
    assert doc.authors == ["王凯", "王敏", "李贝科"]
    sentences = session.exec(select(Sentence).order_by(col(Sentence.position))).all()
    facts = session.exec(select(Fact)).all()
    assert doc.sentence_count == len(sentences) == report.sentences
    assert doc.fact_count == len(facts) == report.facts > 0
    assert [s.position for s in sentences] == list(range(len(sentences)))
    by_id = {s.id: s for s in sentences}
    assert all(by_id[f.sentence_id].kind == "body" for f in facts)
    assert all(by_id[f.sentence_id].text[f.start : f.end] == f.span for f in facts)
    assert all(s.tokens == "" for s in sentences if s.kind in ("caption", "byline"))
    assert all(s.tokens for s in sentences if s.kind == "body")
    spans = {f.span for f in facts}
    assert {"857亩", "81.7亿元", "5000万美元"} <= spans
    # "1月28日" of the photo caption is not stored as a fact
    assert not any(by_id[f.sentence_id].text.startswith("■") for f in facts)


def test_reingest_is_a_noop(session: Session) -> None:
    first = ingest_paths([SEED_000, SEED_004], session=session)
    assert [r.status for r in first] == ["added", "added"]
    before = _counts(session)
    again = ingest_paths([SEED_000, SEED_004], session=session)
    assert [r.status for r in again] == ["unchanged", "unchanged"]
    assert [r.document_id for r in again] == [r.document_id for r in first]
    assert _counts(session) == before
    # the same text in another encoding is the same document
    gb = ingest_bytes(
        SEED_000.read_text(encoding="utf-8").encode("gb18030"), name="copy.txt", session=session
    )
    assert gb.status == "unchanged" and _counts(session) == before


def test_changed_file_replaces_its_rows(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "news.txt"
    path.write_text("青岛西海岸新区总投资727亿元的68个重点项目集中开工。\n", encoding="utf-8")
    first = ingest_paths([path], session=session)[0]
    assert first.status == "added" and first.facts >= 2
    path.write_text("青岛西海岸新区总投资2953亿元。\n\n项目个数位居全市第一。\n", encoding="utf-8")
    second = ingest_paths([path], session=session)[0]
    assert second.status == "replaced"
    assert session.exec(select(Document.id)).all() == [second.document_id]
    texts = session.exec(select(Sentence.text)).all()
    assert texts == ["青岛西海岸新区总投资2953亿元。", "项目个数位居全市第一。"]
    doc_ids = set(session.exec(select(Fact.document_id)).all()) | set(
        session.exec(select(Sentence.document_id)).all()
    )
    assert doc_ids == {second.document_id}


def test_refusals_leave_the_database_unchanged(session: Session, tmp_path: Path) -> None:
    ingest_paths([SEED_000], session=session)
    before = _counts(session)
    files = {
        "empty.txt": b"",
        "blank.txt": b"\n \n",
        "binary.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        "garbled.txt": b"\x80\x80\x81\x20\xff\xfe\xff",
        "report.pdf": b"%PDF-1.4",
        "words.txt": "青岛西海岸新区\n西海岸新区\n".encode(),
        "sheet.xlsx": b"PK",
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    paths = [tmp_path / name for name in files] + [tmp_path / "missing.txt"]
    reports = ingest_paths(paths, session=session)
    assert [r.status for r in reports] == ["refused"] * len(paths)
    for report, path in zip(reports, paths, strict=True):
        assert report.reason is not None and report.reason.startswith(f"{path.name}: ")
        assert not report.ok
    assert "无法读取 PDF" in (reports[4].reason or "")
    assert "不支持的文件类型 .xlsx" in (reports[6].reason or "")
    assert "路径不存在" in (reports[7].reason or "")
    assert _counts(session) == before


def test_failure_rolls_back_only_that_document(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = writer._prepare_rows

    def broken(parsed: ParsedDocument) -> tuple[list[Any], list[Any]]:
        sentences, facts = real(parsed)
        if parsed.title.startswith("青岛经济技术开发区"):
            # a malformed fact row fails after the document and its sentences are written
            facts[-1] = [("too", "short")]
        return sentences, facts

    monkeypatch.setattr(writer, "_prepare_rows", broken)
    reports = ingest_paths([SEED_004, SEED_000], session=session)
    assert [r.status for r in reports] == ["refused", "added"]
    assert reports[0].reason is not None and reports[0].reason.startswith(SEED_004.name)
    assert _counts(session) == (1, reports[1].sentences, reports[1].facts)


def test_folders_recurse_sorted(session: Session, tmp_path: Path) -> None:
    tmp_path = tmp_path / "inbox"
    (tmp_path / "sub").mkdir(parents=True)
    (tmp_path / ".git").mkdir()
    (tmp_path / "b.txt").write_text("青岛开发区总投资81.7亿元。\n", encoding="utf-8")
    (tmp_path / "sub" / "a.md").write_text("西海岸新区总投资727亿元。\n", encoding="utf-8")
    (tmp_path / "c.xlsx").write_bytes(b"PK")
    (tmp_path / ".git" / "x.txt").write_text("忽略。\n", encoding="utf-8")
    reports = ingest_paths([tmp_path], session=session)
    assert [(r.name, r.status) for r in reports] == [
        ("b.txt", "added"),
        ("c.xlsx", "refused"),
        ("a.md", "added"),
    ]


@needs_external
def test_all_external_reports_ingest(session: Session) -> None:
    reports = ingest_paths(EXTERNAL_FILES, session=session)
    for report in reports:
        print(f"{report.name}: {report.status} sentences={report.sentences} facts={report.facts}")
    assert [r.status for r in reports] == ["added"] * 14
    assert all(r.facts > 0 and r.sentences > 200 for r in reports)
    assert _counts(session)[0] == 14


def test_many_files_are_prepared_in_worker_processes_with_the_same_result(tmp_path: Path) -> None:
    """From PARALLEL_MIN_FILES files on, workers parse and tokenise; the stored rows are the same."""
    import sqlalchemy as sa

    folder = tmp_path / "news"
    folder.mkdir()
    for i in range(writer.PARALLEL_MIN_FILES):
        (folder / f"n{i:02d}.txt").write_text(
            f"第{i}号新闻\n\n2024年，示范区新签约项目{i + 3}个，总投资{i * 10 + 5}亿元，同比增长{i}%。\n",
            encoding="utf-8",
        )
    (folder / "empty.txt").write_bytes(b"")
    rows = {}
    for mode, minimum in (("parallel", writer.PARALLEL_MIN_FILES), ("serial", 10**9)):
        engine = make_engine(database_url(tmp_path, mode))
        init_db(engine)
        old = writer.PARALLEL_MIN_FILES
        writer.PARALLEL_MIN_FILES = minimum
        try:
            with session_scope(engine) as session:
                reports = writer.ingest_paths([folder], session=session)
        finally:
            writer.PARALLEL_MIN_FILES = old
        assert [r.status for r in reports].count("added") == writer.PARALLEL_MIN_FILES
        assert any(r.status == "refused" and r.name == "empty.txt" for r in reports)
        d, s, f = Document.__table__.c, Sentence.__table__.c, Fact.__table__.c
        query = (
            sa.select(d.name, s.position, s.text, s.tokens, f.span, f.value)
            .select_from(Sentence.__table__.join(Document.__table__, d.id == s.document_id)
                         .outerjoin(Fact.__table__, f.sentence_id == s.id))
            .order_by(d.name, s.position, f.start)
        )
        with engine.connect() as conn:
            rows[mode] = [tuple(r) for r in conn.execute(query)]
        engine.dispose()
    assert rows["parallel"] == rows["serial"]
    assert rows["parallel"]
