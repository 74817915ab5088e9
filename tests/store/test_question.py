"""Question understanding: fillers, kind of figure, measure, period, qualifiers (pure, no index)."""

from __future__ import annotations

import pytest

from store.question import parse, parse_period, strip_fillers


@pytest.mark.parametrize(
    ("question", "kind", "unit"),
    [
        ("高新区引进了几个重大项目？", "count", "个"),
        ("园区有多少家规上企业", "count", "家"),
        ("口岸每天通关多少人次", "count", "人次"),
        ("产业园占地多少亩？", "area", None),
        ("这个园区规划面积多大", "area", None),
        ("项目一共投了多少钱", "money", None),
        ("外贸进出口涨了多少", "percent", None),
        ("税收增长多少？", "percent", None),
        ("新区在全国排第几", "rank", None),
        ("高新区哪天揭牌的", "date", None),
        ("工程建了多久", "duration", None),
        ("新区有哪些主导产业", "list", None),
        ("港口吞吐量全国排名", "rank", None),
    ],
)
def test_kind_of_figure(question: str, kind: str, unit: str | None) -> None:
    parsed = parse(question)
    assert (parsed.kind, parsed.unit) == (kind, unit)


def test_first_asking_part_decides_the_kind() -> None:
    parsed = parse("开发区去年签约了多少项目，总投资多少")
    assert parsed.kind == "count"


@pytest.mark.parametrize(
    ("question", "metric"),
    [
        ("新区经济总量有多大", "地区生产总值"),
        ("开发区实际利用外资多少", "实际使用外资"),
        ("全市社零总额增长多少", "社会消费品零售总额"),
        ("市里海洋生产总值增长多少", "海洋生产总值"),
        ("园区重点项目完成投资多少", "投资"),
    ],
)
def test_measure_asked(question: str, metric: str) -> None:
    assert parse(question).metric == metric


@pytest.mark.parametrize(
    ("text", "years", "relative", "part"),
    [
        ("2021年上半年", (2021,), (), "H1"),
        ("去年一季度", (), (-1,), "Q1"),
        ("今年前三季度", (), (0,), "Q1-3"),
        ("1-8月", (), (), "M1-8"),
        ("2019年全年", (2019,), (), "Y"),
        ("GDP 2022", (2022,), (), None),
    ],
)
def test_period(text: str, years: tuple[int, ...], relative: tuple[int, ...], part: str | None) -> None:
    period = parse_period(text)
    assert (period.years, period.relative, period.part) == (years, relative, part)


def test_the_year_a_plan_ends_is_not_a_count() -> None:
    parsed = parse("到2030年全区计划建成几个产业园？")
    assert parsed.period.years == (2030,) and parsed.target and parsed.kind == "count"


@pytest.mark.parametrize(
    "variant",
    ["你好，{q}", "{q}谢谢", "请问{q}", "麻烦问下{q}", "{q}呢？", "想问一下，{q}", "您好！请问一下{q}", "{q}啊", "帮我查一下{q}",
     "{q}，多谢"],
)
def test_fillers_leave_the_requirements_unchanged(variant: str) -> None:
    plain = "滨州高新区去年实际使用外资多少亿美元"
    a, b = parse(plain), parse(variant.format(q=plain))
    assert (a.kind, a.unit, a.metric, a.period, a.target) == (b.kind, b.unit, b.metric, b.period, b.target)
    assert a.core.strip("|") in b.core


def test_particles_are_fillers_only_at_the_end() -> None:
    assert "哈尔滨" in strip_fillers("哈尔滨新区有多少企业呢")
    assert "呢" not in strip_fillers("哈尔滨新区有多少企业呢")


def test_stated_numbers_are_kept_apart() -> None:
    parsed = parse("那12个省重点项目完成投资多少")
    assert parsed.numbers == ("12个",)


def test_traditional_question_is_read_simplified() -> None:
    parsed = parse("開發區實際使用外資多少億美元？")
    assert parsed.metric == "实际使用外资" and parsed.kind == "money"


def test_qualifiers() -> None:
    assert "以上" in parse("计划开工多少个亿元以上项目").qualifiers
    assert "二期" in parse("光电产业园二期投资多少").qualifiers


def test_place_spans_stay_inside_the_question() -> None:
    for question in ("预热一下青岛开发区", "你好，青岛开发区综合排名第几", "北京经开区去年工业投资"):
        for mention in parse(question).places:
            assert 0 <= mention.start < mention.end <= len(parse(question).text)
