"""Answering by requirements: fillers never change the answer; place, measure, kind and period must fit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from store.service import FactStore
from tests.dbkit import database_url
from tests.store.conftest import ROOT

FILLER_VARIANTS = [
    "你好，{q}", "{q}谢谢", "请问{q}", "麻烦问下{q}", "{q}呢", "想问一下，{q}", "您好！请问一下{q}", "{q}啊",
    "帮我查一下{q}", "{q}，多谢",
]
# Five of the public gold questions, stripped of their question mark.
GOLD = ["京东方青岛项目总投资多少", "青岛开发区综合排名第几", "王台片区升级改造范围有多大", "贝卡尔特增资多少",
        "京东方之窗什么时候建成启用"]


@pytest.mark.parametrize("variant", FILLER_VARIANTS)
@pytest.mark.parametrize("plain", GOLD)
def test_fillers_give_the_plain_answer(seeded_store: FactStore, plain: str, variant: str) -> None:
    expected = seeded_store.ask(plain)
    assert expected, plain
    got = seeded_store.ask(variant.format(q=plain))
    assert got, variant.format(q=plain)
    assert (got[0].text, got[0].figure) == (expected[0].text, expected[0].figure)


def test_fillers_give_the_plain_answer_through_the_cli(tmp_path: Path) -> None:
    """The same through `python -m bot ask --jsonl` (a fresh seeded database, one process for all variants)."""
    asked = [v.format(q=plain) for plain in GOLD for v in ["{q}", *FILLER_VARIANTS]]
    env = {**os.environ, "DATABASE_URL": database_url(tmp_path, "cli")}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--jsonl"], input="\n".join(asked) + "\n", capture_output=True,
        text=True, cwd=ROOT, env=env, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert [line["q"] for line in lines] == asked
    tops = {line["q"]: (line["answers"][0]["text"], line["answers"][0].get("figure")) if line["answers"] else None
            for line in lines}
    for plain in GOLD:
        assert tops[plain] is not None, plain
        for variant in FILLER_VARIANTS:
            assert tops[variant.format(q=plain)] == tops[plain], variant.format(q=plain)
