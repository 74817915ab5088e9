"""`python -m bot sources --jsonl`: one JSON object per document with its own facts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from store.paths import index_dir_for
from tests.bot.test_cli import _url, run_cli

PAGE = """首页 > 新闻 > 正文

成都高新区上半年新签约重大项目42个

发布时间：2024-07-18 10:20 来源：成都日报

分享到：

成都日报讯（记者 李明）今年上半年，成都高新区新签约重大项目42个，总投资812亿元。

成都高新区相关负责人表示，下半年将继续推进项目建设。
"""


def test_sources_jsonl_contract(tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    page = tmp_path / "chengdu.txt"
    page.write_text(PAGE, encoding="utf-8")
    undated = tmp_path / "undated.txt"
    undated.write_text("全区工业增加值比2020年同期增长8%。\n\n5月18日，园区举办招商大会。\n", encoding="utf-8")
    result = run_cli(["ingest", str(page), str(undated)], db)
    assert result.returncode == 0, result.stderr
    out = run_cli(["sources", "--jsonl"], db)
    assert out.returncode == 0, out.stderr
    rows = {r["doc"]: r for r in map(json.loads, out.stdout.splitlines())}
    for row in rows.values():
        assert set(row) == {"doc", "title", "date", "regions", "url", "facts"}
        assert row["date"] is None or len(row["date"]) in (4, 7, 10)
        assert isinstance(row["regions"], list) and isinstance(row["facts"], int)
    doc = rows["chengdu.txt"]
    assert doc["title"] == "成都高新区上半年新签约重大项目42个"
    assert doc["date"] == "2024-07-18"
    assert doc["regions"][0] == "成都高新技术产业开发区"
    assert doc["url"] is None and doc["facts"] >= 2
    assert rows["undated.txt"]["date"] is None  # no invented date from 2020年 + 5月18日


def test_sources_jsonl_gives_the_url_of_a_web_document(tmp_path: Path) -> None:
    from sqlmodel import Session, select

    from store.db import make_engine
    from store.models import Document

    db = tmp_path / "bot.db"
    page = tmp_path / "chengdu.txt"
    page.write_text(PAGE, encoding="utf-8")
    assert run_cli(["ingest", str(page)], db).returncode == 0
    engine = make_engine(_url(db))
    with Session(engine) as session:  # as the web intake stores a page's canonical link
        doc = session.exec(select(Document).where(Document.name == "chengdu.txt")).one()
        doc.url = "https://news.example.cn/2024/0718/1.html"
        session.add(doc)
        session.commit()
    engine.dispose()
    snapshot = index_dir_for(_url(db))
    assert snapshot is not None
    shutil.rmtree(snapshot, ignore_errors=True)  # the URL changed behind the index's back
    rows = {r["doc"]: r for r in map(json.loads, run_cli(["sources", "--jsonl"], db).stdout.splitlines())}
    assert rows["chengdu.txt"]["url"] == "https://news.example.cn/2024/0718/1.html"
