"""Targets against results: normalising facts, matching a year's target to the later report, judging."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from store import series
from store.series import SeriesFact
from store.service import FactStore
from store.views import DocumentInfo, FactView

ROOT = Path(__file__).resolve().parents[2]


def fact(value: float, unit: str = "%", *, target: bool = True, direction: str | None = None,
         growth: bool = True, year: int = 2023, sentence: str = "句子。") -> SeriesFact:
    return SeriesFact(
        place="某市", metric="地区生产总值", year=year, value=value, unit=unit, span=f"{value}{unit}",
        qualifier=None, target=target, direction=direction, growth=growth, gap=0, doc="d.txt",
        doc_id=1, doc_year=year if target else year + 1, doc_date=None, sentence=sentence,
    )


@pytest.mark.parametrize(
    ("target", "result", "status"),
    [
        (fact(5, direction="around"), fact(5.2, target=False), "met"),
        (fact(5.5, direction="around"), fact(3, target=False), "missed"),
        (fact(3, direction="upper"), fact(0.2, target=False), "met"),  # 不超过3%: CPI-type bound
        (fact(3, direction="upper"), fact(3.4, target=False), "missed"),
        (fact(1.1e7, "人", direction="lower", growth=False), fact(1.206e7, "人", target=False, growth=False), "met"),
        (fact(1.1e7, "人", direction="lower", growth=False), fact(1.0e7, "人", target=False, growth=False), "missed"),
        (fact(1.2e7, "人", direction="around", growth=False), fact(1.244e7, "人", target=False, growth=False), "met"),
        (fact(6, direction=None), fact(6.5, target=False), "unknown"),  # no word says which way
        (fact(6, direction=None), fact(6, target=False), "met"),
        (fact(5, direction="lower"), fact(5e12, "CNY", target=False, growth=False), "unknown"),  # units differ
        (fact(5, direction="around"), None, "pending"),
        (replace(fact(5.0, direction="range"), high=5.5), fact(5.2, target=False), "met"),
        (replace(fact(5.0, direction="range"), high=5.5), fact(4.8, target=False), "missed"),
        (replace(fact(5.0, direction="range"), high=5.5), fact(6.1, target=False), "unknown"),
    ],
)
def test_judge(target: SeriesFact, result: SeriesFact | None, status: str) -> None:
    assert series.judge(target, result) == status


@pytest.mark.parametrize(
    ("span", "qualifier", "clause", "direction"),
    [
        ("5%左右", "左右", "国内生产总值增长", "around"),
        ("5.5%以内", "以内", "城镇调查失业率全年控制在", "upper"),
        ("3%", None, "居民消费价格涨幅不超过", "upper"),
        ("1100万人以上", "以上", "城镇新增就业", "lower"),
        ("30项", None, "年内形成不少于", "lower"),
        ("6%", None, "地区生产总值增长", None),
    ],
)
def test_target_direction_from_qualifier_words(
    span: str, qualifier: str | None, clause: str, direction: str | None
) -> None:
    assert series.target_direction(span, qualifier, clause) == direction


def _normalise(sentence: str, span: str, *, kind: str = "percent", value: float = 5.0, unit: str = "%",
               target: bool = False, metric: str | None = None) -> SeriesFact | None:
    start = sentence.index(span)
    view = FactView(id=1, kind=kind, span=span, value=value, unit=unit, target=target, period=2024,
                    metric=metric, start=start, end=start + len(span))
    doc = DocumentInfo(id=1, name="d.txt", title="t", regions=("某市",), year=2025)
    return series.normalise_fact(view, sentence, doc, "某市")


def test_normalise_takes_the_metric_named_nearest_before_the_figure() -> None:
    f = _normalise("城镇新增就业1256万人、城镇调查失业率平均为5.1%。", "5.1%", value=5.1)
    assert f is not None and f.metric == "城镇调查失业率" and not f.growth
    g = _normalise("国内生产总值达到134.9万亿元、增长5%，增速居前列。", "5%")
    assert g is not None and g.metric == "地区生产总值" and g.growth


def test_the_past_year_is_one_year() -> None:
    f = _normalise("一年来城镇新增就业125万人。", "125万人", kind="count", value=1.25e6, unit="人")
    assert f is not None and f.metric == "城镇新增就业"
    assert _normalise("五年来城镇新增就业600万人。", "600万人", kind="count", value=6e6, unit="人") is None


def test_range_targets_keep_both_ends() -> None:
    f = _normalise("全省地区生产总值增长5.0%—5.5%。", "5.0%—5.5%", value=5.0, target=True)
    assert f is not None and f.high is None  # no qualifier: the extractor did not call it a range
    start = "全省地区生产总值增长5.0%—5.5%。".index("5.0%")
    view = FactView(id=1, kind="percent", span="5.0%—5.5%", value=5.0, unit="%", qualifier="range",
                    target=True, period=2025, start=start, end=start + len("5.0%—5.5%"))
    doc = DocumentInfo(id=1, name="d.txt", title="t", regions=("某省",), year=2025)
    g = series.normalise_fact(view, "全省地区生产总值增长5.0%—5.5%。", doc, "某省")
    assert g is not None and g.direction == "range" and g.high == pytest.approx(5.5)
    assert series.range_high("1000—1200万人", 1.0e7) == pytest.approx(1.2e7)


def test_normalise_carries_the_subject_into_a_clause_without_a_metric() -> None:
    f = _normalise("国内生产总值超过126万亿元，增长5.2%。", "5.2%", value=5.2, metric="国内生产总值增长")
    assert f is not None and f.metric == "地区生产总值" and f.growth


@pytest.mark.parametrize(
    ("sentence", "span"),
    [
        ("对全球经济增长的贡献率保持在30%左右。", "30%左右"),  # the contribution, not the growth
        ("单位国内生产总值能耗降低3%左右。", "3%左右"),  # energy per unit of GDP
        ("研发投入占地区生产总值比重达2.5%。", "2.5%"),
        ("居民消费价格年均上涨2.1%。", "2.1%"),  # a several-year average
        ("十年来我国居民消费价格涨幅稳定在2%左右。", "2%左右"),
        ("生态环境质量持续改善5%。", "5%"),  # no metric at all
    ],
)
def test_normalise_refuses_figures_that_are_not_the_metrics_own(sentence: str, span: str) -> None:
    assert _normalise(sentence, span) is None


def test_track_prefers_the_later_report_and_skips_same_year_figures() -> None:
    target = fact(5, direction="around")
    same_year = replace(fact(4, target=False), doc_year=2023, doc="early.txt")
    later = replace(fact(5.2, target=False), doc="later.txt")
    rows = series.track([target, same_year, later, fact(5, direction="around", year=2024)],
                        place="某市", metric="地区生产总值")
    assert [(r.year, r.result.doc if r.result else None, r.status) for r in rows] == [
        (2023, "later.txt", "met"), (2024, None, "pending"),
    ]


def test_csv_round_trips_commas_quotes_and_newlines() -> None:
    tricky = 'A "quoted", comma\nand a new line，全角逗号'
    facts = [fact(5, direction="around", sentence=tricky), fact(5.2, target=False, sentence="plain")]
    data = series.csv_bytes(facts)
    assert data.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert [r["sentence"] for r in rows] == [tricky, "plain"]
    for got, f in zip(rows, facts, strict=True):
        want = series.csv_record(f)
        assert got == {k: str(v) for k, v in want.items()}


# --------------------------------------------------------------------------- the national reports

NATIONAL = ("gwr_2022_national_state_council.txt", "gwr_2023_national_state_council.txt",
            "gwr_2024_national_state_council.txt", "gwr_2025_national_state_council.txt")

# (metric as typed, {year: (target span, result value, result document, status)}), read from the texts.
EXPECTED = [
    ("国内生产总值增长", {
        2022: ("5.5%左右", 3.0, NATIONAL[1], "missed"),  # 全年国内生产总值增长3%
        2023: ("5%左右", 5.2, NATIONAL[2], "met"),  # 国内生产总值超过126万亿元，增长5.2%
        2024: ("5%左右", 5.0, NATIONAL[3], "met"),  # 国内生产总值达到134.9万亿元、增长5%
        2025: ("5%左右", None, None, "pending"),
    }),
    ("城镇新增就业", {
        2022: ("1100万人以上", 1206e4, NATIONAL[1], "met"),
        2023: ("1200万人左右", 1244e4, NATIONAL[2], "met"),
        2024: ("1200万人以上", 1256e4, NATIONAL[3], "met"),
        2025: ("1200万人以上", None, None, "pending"),
    }),
    ("居民消费价格涨幅", {
        2022: ("3%左右", 2.0, NATIONAL[1], "missed"),  # 居民消费价格上涨2%: not about 3%
        2023: ("3%左右", 0.2, NATIONAL[2], "missed"),
        2024: ("3%左右", 0.2, NATIONAL[3], "missed"),
        2025: ("2%左右", None, None, "pending"),
    }),
    ("城镇调查失业率", {
        2022: ("5.5%以内", 5.5, NATIONAL[1], "met"),  # 年末城镇调查失业率降到5.5%
        2023: ("5.5%左右", 5.2, NATIONAL[2], "met"),  # 平均为5.2%
        2024: ("5.5%左右", 5.1, NATIONAL[3], "met"),
        2025: ("5.5%左右", None, None, "pending"),
    }),
]


@pytest.mark.parametrize(("typed", "years"), EXPECTED, ids=[e[0] for e in EXPECTED])
def test_national_targets_against_results(external_store: FactStore, typed: str, years: dict) -> None:
    query = series.track_query(external_store.index, "全国", typed)
    assert query.place.name == series.place_key("全国")
    by_year = {r.year: r for r in query.rows}
    for year, (target_span, result_value, result_doc, status) in years.items():
        row = by_year[year]
        assert row.target is not None and row.target.span == target_span, (year, row.target)
        assert row.target.doc == NATIONAL[year - 2022]
        assert target_span in row.target.sentence
        if result_value is None:
            assert row.result is None, (year, row.result)
        else:
            assert row.result is not None, year
            assert row.result.value == pytest.approx(result_value), (year, row.result.sentence)
            assert row.result.doc == result_doc
            assert row.result.span in row.result.sentence
        assert row.status == status, (year, row)
    assert [r.year for r in query.rows] == sorted(by_year)


def test_aliases_name_the_same_series(external_store: FactStore) -> None:
    a = series.track_query(external_store.index, "全国", "国内生产总值增长")
    b = series.track_query(external_store.index, "我国", "GDP增长")
    assert [r.to_json() for r in a.rows] == [r.to_json() for r in b.rows]


def test_place_and_metric_typed_without_a_space(external_store: FactStore) -> None:
    assert series.split_place("全国GDP增长") == ("全国", "GDP增长")
    assert series.split_place("全国") == ("全国", "")
    joined = series.track_query(external_store.index, "全国国内生产总值增长", None)
    spaced = series.track_query(external_store.index, "全国", "国内生产总值增长")
    assert joined.rows and [r.to_json() for r in joined.rows] == [r.to_json() for r in spaced.rows]


def test_unknown_input_gets_choices(external_store: FactStore) -> None:
    index = external_store.index
    place = series.track_query(index, "火星", "GDP")
    assert place.place.name is None and place.place.choices
    metric = series.track_query(index, "全国", "幸福指数")
    assert metric.metric.name is None and "城镇新增就业" in metric.metric.choices
    bare = series.track_query(index, "全国", None)
    assert {"地区生产总值", "城镇新增就业", "城镇调查失业率"} <= set(bare.metrics)


def test_track_jsonl_contract(external_store: FactStore) -> None:
    env = {**os.environ, "DATABASE_URL": external_store.database_url}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "track", "全国", "国内生产总值增长", "--jsonl"],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["year"] for o in objects] == sorted(o["year"] for o in objects)
    for o in objects:
        assert set(o) == {"place", "metric", "year", "target", "result", "status"}
        for side in ("target", "result"):
            assert o[side] is None or set(o[side]) == {"span", "value", "unit", "doc", "sentence"}
    by_year = {o["year"]: o for o in objects}
    assert [by_year[y]["target"]["span"] for y in (2022, 2023, 2024, 2025)] == ["5.5%左右", "5%左右", "5%左右", "5%左右"]
    assert [by_year[y]["status"] for y in (2022, 2023, 2024, 2025)] == ["missed", "met", "met", "pending"]
    assert by_year[2025]["result"] is None

    unknown = subprocess.run(
        [sys.executable, "-m", "bot", "track", "火星", "GDP"],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=300,
    )
    assert unknown.returncode == 2 and "火星" in unknown.stderr


def test_outcomes_reported_by_a_new_document(external_store: FactStore) -> None:
    index = external_store.index
    facts = series.series_facts(index, place=series.place_key("全国"))
    newest = next(d.id for d in index.documents.values() if d.name == NATIONAL[3])
    rows = series.outcomes_reported_by(facts, [newest])
    got = {(r.metric, r.year, r.status) for r in rows}
    assert {("地区生产总值", 2024, "met"), ("城镇新增就业", 2024, "met"), ("城镇调查失业率", 2024, "met")} <= got
    assert all(r.result is not None and r.result.doc == NATIONAL[3] for r in rows)
    assert all(r.year == 2024 for r in rows)


def test_digest_says_whether_a_new_report_met_earlier_targets(external_store: FactStore) -> None:
    from datetime import UTC, date, datetime, timedelta

    from render.digest import build_digest
    from store import db
    from store.subscriptions import load_corpus

    with db.session_scope(external_store.engine) as session:
        corpus = load_corpus(session=session)
        db_facts = series.series_facts_from_db(session=session)
        later = series.digest_outcomes(session=session, now=datetime.now(UTC) + timedelta(days=60))
    assert later == [], "documents ingested long ago are not news"
    # The database path normalises exactly like the index path.
    index_facts = series.series_facts(external_store.index)
    assert sorted(map(series.csv_record, db_facts), key=str) == sorted(map(series.csv_record, index_facts), key=str)

    newest = next(d for d in corpus.documents if d.name == NATIONAL[3])
    got = {(o.metric, o.year, o.target, o.result, o.status) for o in corpus.outcomes_of(newest.id)}
    assert ("城镇新增就业", 2024, "1200万人以上", "1256万人", "met") in got
    assert ("居民消费价格", 2024, "3%左右", "0.2%", "missed") in got

    since = datetime.now(UTC) - timedelta(hours=1)
    jobs = build_digest(corpus, local_date=date.today(), since=since, sent_ids=set(), topics=("就业",))
    assert "2024年 全国 城镇新增就业：目标 <b>1200万人以上</b> → 实际 <b>1256万人</b> ✅ 完成" in jobs.html
    assert "📈 2024年 全国 居民消费价格" not in jobs.html, "another metric than the chat's topic"
    cpi = build_digest(corpus, local_date=date.today(), since=since, sent_ids=set(), topics=("CPI",))
    assert "📈 2024年 全国 居民消费价格：目标 <b>3%左右</b> → 实际 <b>0.2%</b> ❌ 未完成" in cpi.html
    assert "📈 2024年 全国 城镇新增就业" not in cpi.html


def test_estimates_and_counted_things_are_not_targets() -> None:
    estimate = _normalise("生产总值预计增长5.1%左右，城镇调查失业率5.2%。", "5.2%", value=5.2, target=True)
    assert estimate is None
    counted = _normalise("加快建设500个省重大项目和200个民间投资重点产业项目。", "200个", kind="count",
                         value=200, unit="个", target=True, metric="民间投资重点产业项目")
    assert counted is None
    after = _normalise("新增100个以上项目纳入国家用地保障范围。", "100个以上", kind="count", value=100,
                       unit="个", target=True, metric="项目纳入国家用地保障范围")
    assert after is None


def test_the_target_stated_among_the_targets_wins() -> None:
    elsewhere = replace(fact(5.2, direction=None), sentence="城镇调查失业率5.2%。", span="5.2%")
    stated = replace(fact(5.5, direction="around"), sentence="预期目标是：城镇调查失业率5.5%左右。", span="5.5%左右")
    rows = series.track([elsewhere, stated], place="某市", metric="地区生产总值")
    assert rows[0].target == stated
