"""The command line contracts: facts --jsonl, ingest reports, sources, readable ask."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.dbkit import database_url

ROOT = Path(__file__).resolve().parents[2]
GOLD_FACTS = [json.loads(line) for line in (ROOT / "tests/data/facts.jsonl").read_text("utf-8").splitlines() if line]


_URLS: dict[Path, str] = {}


def _url(db: str | Path) -> str:
    """A URL as given; a file path names one test database (tests/dbkit.py), the same each call."""
    if isinstance(db, str):
        return db
    if db not in _URLS:
        _URLS[db] = database_url(db.parent, db.stem)
    return _URLS[db]


def run_cli(args: list[str], db: str | Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot …` on a given database (a URL, or a path standing for one)."""
    env = {**os.environ, "DATABASE_URL": _url(db)}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True,
        cwd=ROOT, env=env, timeout=300,
    )


@pytest.fixture(scope="module")
def facts(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    db = database_url(tmp_path_factory.mktemp("facts"))
    result = run_cli(["facts", "--jsonl"], db)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def _same_value(a: float | None, b: float) -> bool:
    return a is not None and abs(a - b) <= 1e-9 * max(1.0, abs(b))


def test_facts_jsonl_find_the_gold_facts(facts: list[dict]) -> None:
    found = []
    for gold in GOLD_FACTS:
        match = next(
            (
                f for f in facts
                if f["doc"] == gold["doc"] and gold["span"] in f["span"] and f["kind"] == gold["kind"]
                and _same_value(f["value"], gold["value"]) and f["unit"] == gold["unit"]
            ),
            None,
        )
        if match is not None:
            found.append((gold, match))
    assert len(found) >= 27, [g["span"] for g in GOLD_FACTS if g not in [x for x, _ in found]]
    for gold, match in found:
        assert (match["target"], match["period"]) == (gold["target"], gold["period"]), gold["span"]


def test_facts_jsonl_contract_and_spans(facts: list[dict]) -> None:
    kinds = {"money", "count", "percent", "area", "rank", "date", "duration", "other"}
    for f in facts:
        assert {"doc", "kind", "span", "value", "unit", "target", "period", "sentence"} <= set(f)
        assert f["kind"] in kinds
        assert f["span"] and f["span"] in f["sentence"]
        if f["kind"] == "money":
            assert f["unit"] in {"CNY", "USD", "EUR", "HKD", "JPY", "GBP"}
        if f["kind"] == "percent":
            assert f["unit"] == "%"


def test_fixed_phrases_are_not_facts(facts: list[dict]) -> None:
    spans = {f["span"] for f in facts}
    for phrase in ("二十大", "四个意识", "一核引领", "6号线", "13号线"):
        assert not any(phrase in s for s in spans), phrase


def test_ingest_reports_each_file_and_refuses_bad_ones(tmp_path: Path) -> None:
    db = database_url(tmp_path)
    good = tmp_path / "news.txt"
    good.write_text("青岛西海岸新区\n\n2024年，新区签约项目35个，总投资420亿元。\n", encoding="utf-8")
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    binary = tmp_path / "image.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20)
    result = run_cli(["ingest", str(good), str(empty), str(binary)], db)
    out = result.stdout
    assert "news.txt" in out and "added" in out
    assert "empty.txt" in out and "image.txt" in out
    assert out.count("refused") >= 2
    again = run_cli(["ingest", str(good)], db)
    assert "unchanged" in again.stdout
    sources = run_cli(["sources"], db)
    assert "news.txt" in sources.stdout and "004_9ba4c9d2bb8ea06c.txt" in sources.stdout


def test_readable_ask_shows_figure_sentence_title_and_date(tmp_path: Path) -> None:
    result = run_cli(["ask", "京东方青岛项目总投资多少？"], database_url(tmp_path))
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[1]
    assert "81.7亿元" in first
    assert "总投资81.7亿元" in result.stdout
    assert "青岛经济技术开发区" in result.stdout and "2023" in result.stdout


def test_a_one_shot_ask_of_a_small_database_loads_no_compiler(tmp_path: Path) -> None:
    """The seeds answer with the kernels as plain Python: numba (≈ 0.4 s of a cold start) is never imported."""
    script = (
        "import runpy, sys\n"
        "sys.argv = ['bot', 'ask', '京东方青岛项目总投资多少？']\n"
        "try:\n"
        "    runpy.run_module('bot', run_name='__main__', alter_sys=True)\n"
        "finally:\n"
        "    print('numba imported:', 'numba' in sys.modules, file=sys.stderr)\n"
    )
    env = {**os.environ, "DATABASE_URL": database_url(tmp_path)}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, env=env,
                            timeout=300)
    assert "81.7亿元" in result.stdout, result.stderr
    assert "numba imported: False" in result.stderr


def test_ask_without_answer_says_so(tmp_path: Path) -> None:
    result = run_cli(["ask", "特斯拉上海超级工厂年产能多少辆？"], database_url(tmp_path))
    assert result.returncode == 1
    assert "没有找到" in result.stdout


def test_facts_csv_holds_every_fact_of_the_jsonl(facts: list[dict], tmp_path_factory: pytest.TempPathFactory) -> None:
    import csv
    import io

    db = database_url(tmp_path_factory.mktemp("facts_csv"))
    result = subprocess.run(
        [sys.executable, "-m", "bot", "facts", "--csv"], capture_output=True, cwd=ROOT, timeout=300,
        env={**{k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}, "DATABASE_URL": db},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(result.stdout.decode("utf-8-sig"))))
    assert len(rows) == len(facts)
    # Sentences with commas and quotes survive the round trip, field for field.
    assert [r["sentence"] for r in rows] == [f["sentence"] for f in facts]
    assert [r["span"] for r in rows] == [f["span"] for f in facts]
    assert any("，" in r["sentence"] or "“" in r["sentence"] for r in rows)
