"""Light tests of the synthetic archive generator (bench/corpus.py)."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from bench import corpus
from bench.corpus import Generator, leaks_seed_entity, load_templates, split_sentences


@pytest.fixture(scope="module")
def bank() -> corpus.TemplateBank:
    return load_templates()


@pytest.mark.parametrize(
    "text",
    [
        "京东方青岛项目总投资81.7亿元。",
        "贝卡尔特(青岛)钢丝产品有限公司增资。",
        "殷家河片区改造工程已近尾声。",
        "股家河片区改造工程已近尾声。",
        "加快王台老工业区升级改造。",
        "地铁3号线一期空载试运行。",
        "外贸进出口规模居全国第五位。",
        "上海浦东新区地区生产总值增长5%。",
        "10家重点餐饮企业销售额环比增长65%。",
    ],
)
def test_leak_check_catches_seed_entities_and_gold_phrases(text: str) -> None:
    assert leaks_seed_entity(text)


@pytest.mark.parametrize(
    "text",
    ["成都高新区一季度集中开工68个项目，总投资727亿元。", "苏州工业园区综合排名位列第三。"],
)
def test_leak_check_lets_synthetic_sentences_through(text: str) -> None:
    assert not leaks_seed_entity(text)


def test_templates_are_mined_from_seeds_and_reports(bank: corpus.TemplateBank) -> None:
    assert bank.seed_runs, "no seed sentence survived substitution"
    assert bank.sentences > 1000 or not corpus.EXTERNAL_DIR.is_dir()


def test_generated_articles_name_no_seed_entity(bank: corpus.TemplateBank) -> None:
    gen = Generator(bank, seed=7)
    indices = random.Random(0).sample(range(100_000), 40)
    for i in indices:
        text = gen.article(i).text
        for sentence in split_sentences(text):
            assert not leaks_seed_entity(sentence), (i, sentence)


def test_gold_answers_keep_their_only_source(bank: corpus.TemplateBank) -> None:
    """Expected strings that are names (not figures) never occur in the archive."""
    names = {"唯品会", "6号线", "占全省比重超过七成"}
    gen = Generator(bank, seed=3)
    for i in range(30):
        text = gen.article(i).text
        assert not any(n in text for n in names)


def test_generation_is_deterministic(bank: corpus.TemplateBank) -> None:
    a, b = Generator(bank, seed=11), Generator(bank, seed=11)
    for i in (0, 5, 999, 12_345):
        assert a.article(i) == b.article(i)
    assert Generator(bank, seed=12).article(5).text != a.article(5).text


def test_generate_writes_same_files_twice(tmp_path: Path) -> None:
    first = corpus.generate(tmp_path / "a", 4, seed=5)
    second = corpus.generate(tmp_path / "b", 4, seed=5)
    files_a = corpus.article_paths(tmp_path / "a")
    files_b = corpus.article_paths(tmp_path / "b")
    assert [p.name for p in files_a] == [p.name for p in files_b]
    assert all(x.read_bytes() == y.read_bytes() for x, y in zip(files_a, files_b, strict=True))
    assert first.sentences == second.sentences
    manifest = json.loads((tmp_path / "a" / corpus.MANIFEST).read_text(encoding="utf-8"))
    assert manifest["articles"] == 4 and manifest["seed"] == 5


def test_article_shape(bank: corpus.TemplateBank) -> None:
    art = Generator(bank, seed=1).article(3)
    lines = art.text.split("\n")
    assert lines[0].strip() and lines[1] == ""
    assert 80 <= art.sentences <= 120
    year = re.search(r"(\d{4})年\d{1,2}月\d{1,2}日", art.text)
    assert year and 2015 <= int(year.group(1)) <= 2026
    assert art.name.startswith(corpus.FILE_PREFIX) and art.name.endswith(".txt")


def test_ensure_corpus_reuses_matching_archive(tmp_path: Path) -> None:
    info = corpus.ensure_corpus(tmp_path, 3, seed=2)
    mtimes = [p.stat().st_mtime_ns for p in corpus.article_paths(tmp_path)]
    again = corpus.ensure_corpus(tmp_path, 3, seed=2)
    assert again == info
    assert [p.stat().st_mtime_ns for p in corpus.article_paths(tmp_path)] == mtimes

