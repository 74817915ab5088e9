"""Metric synonyms: one canonical name per measure, longest surface wins."""

from __future__ import annotations

from itertools import pairwise

import pytest

from store.metrics import all_metrics, canonical_metric, metric_mentions, metric_synonyms


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("国内生产总值增长", "地区生产总值"),
        ("全区GDP同比增长6%", "地区生产总值"),
        ("经济总量突破千亿", "地区生产总值"),
        ("海洋生产总值增长12%", "海洋生产总值"),
        ("利用外资", "实际使用外资"),
        ("实际使用外资3亿美元", "实际使用外资"),
        ("全社会固定资产投资增长", "固定资产投资"),
        ("社零总额", "社会消费品零售总额"),
        ("外贸进出口总额", "进出口"),
        ("新增就业1.2万人", "城镇新增就业"),
        ("cpi涨幅", "居民消费价格"),
        ("占地多少平米", "面积"),
        ("一共投了多少钱", "投资"),
        ("规模以上工业增加值增长8%", "规上工业增加值"),
    ],
)
def test_canonical_metric(phrase: str, expected: str) -> None:
    assert canonical_metric(phrase) == expected


def test_no_metric_in_plain_words() -> None:
    assert canonical_metric("今天天气很好") is None
    assert canonical_metric("") is None


def test_mentions_are_ordered_and_do_not_overlap() -> None:
    found = metric_mentions("地区生产总值增长5%，固定资产投资增长10%")
    assert [name for _s, _e, name in found] == ["地区生产总值", "固定资产投资"]
    assert all(a[1] <= b[0] for a, b in pairwise(found))


def test_synonyms_round_trip() -> None:
    for name in all_metrics():
        synonyms = metric_synonyms(name)
        assert synonyms[0] == name
        assert all(canonical_metric(s) == name for s in synonyms)
    assert metric_synonyms("不存在的指标") == ()
