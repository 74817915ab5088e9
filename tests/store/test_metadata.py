"""Document metadata of real-looking pages: chrome, publication date, places; gold news-dev scores."""

from __future__ import annotations

import pytest

from bench import bench_metadata
from store.ingest.metadata import is_chrome
from store.ingest.parse import parse_document


def _doc(text: str):  # type: ignore[no-untyped-def]
    return parse_document(text, name="page.txt")


PAGE = """当前位置: 首页 > 地方 > 正文

济南高新区前三季度地区生产总值增长8.1%

发布时间：2023-10-27 09:12 来源：大众日报 【字号：大 中 小】

分享到：

本报济南10月26日讯（记者 王明）今年前三季度，济南高新区实现地区生产总值1234.5亿元，同比增长8.1%，增速居全市第一。

高新区规模以上工业增加值增长9.6%，比2020年同期高出3个百分点。5月18日，园区举办招商大会。

【打印此页】 【关闭窗口】
"""


def test_chrome_is_never_title_or_body() -> None:
    doc = _doc(PAGE)
    assert doc.title == "济南高新区前三季度地区生产总值增长8.1%"
    kinds = {p.text: p.kind for p in doc.paragraphs}
    assert kinds["当前位置: 首页 > 地方 > 正文"] == "chrome"
    assert kinds["分享到："] == "chrome"
    assert kinds["【打印此页】 【关闭窗口】"] == "chrome"
    assert all("字号" not in s for s in doc.sentences("body"))


def test_page_date_line_wins_over_body_days() -> None:
    doc = _doc(PAGE)
    assert doc.date == "2023-10-27"
    assert doc.date_source is not None and doc.date_source.startswith("page:")
    assert doc.year == 2023


def test_regions_skip_the_dateline_city_and_prefer_the_zone() -> None:
    doc = _doc(PAGE)
    assert doc.regions[0] == "济南高新技术产业开发区"
    wire = _doc(
        "新华社北京3月5日电 记者从成都市获悉，成都经开区一季度签约项目30个，成都经开区总投资500亿元。\n"
    )
    assert "北京市" not in wire.regions
    assert wire.regions[0] == "成都经济技术开发区"


def test_a_bare_zone_word_resolves_to_the_city_zone() -> None:
    doc = _doc(
        "经开区2022年工作总结\n\n今年以来，经开区工业产值增长12%，经开区助力芜湖市建设制造强市。\n"
    )
    assert doc.regions[0] == "芜湖经济技术开发区"


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("株洲经开区一季度工业产值增长12%\n\n今年一季度，株洲经开区工业产值增长12%。\n", "株洲经济技术开发区"),
        ("郑州市郑东新区金融业增加值增长8%\n\n今年以来，郑东新区金融业增加值增长8%。\n", "郑州郑东新区"),
        ("河北省高新区营业收入增长13%\n\n今年以来，全省高新区营业收入增长13%。\n", "河北省"),
    ],
)
def test_zones_the_gazetteer_does_not_list(text: str, region: str) -> None:
    assert _doc(text).regions[0] == region


@pytest.mark.parametrize(
    ("text", "date"),
    [
        # a wire dateline without a certain year gives no date (the text's 2023 may be last year)
        ("新华社北京3月5日电 2023年，全区地区生产总值增长5%。\n", None),
        ("新华社北京3月5日电 今年（2024年）以来，全区投资增长5%。\n", "2024-03-05"),
        # a comparison year and an unrelated day never make a date
        ("全区工业增加值比2020年同期增长8%。\n\n5月18日，园区举办招商大会，签约项目12个。\n", None),
        # a yearly work conference held in its year: only the year is certain
        ("近日召开的新区2021年度工作会议，发布了2020年成绩单。\n", "2021"),
        ("宁东基地跻身全国化工园区30强第6位\n25.05.2019  19:24\n\n记者5月24日获悉，宁东基地名列第6位。\n", "2019-05-25"),
        ("湖北第二个！武汉经开区GDP首破2000亿\n2023\n03/07\n14:24\n\n记者从会上获悉，武汉经开区GDP增长5%。\n", "2023-03-07"),
        ("某区经济运行报告\n发布日期：2023年3月\n\n今年以来，全区经济运行平稳，工业增长6%。\n", "2023-03"),
    ],
)
def test_publication_date_at_the_precision_of_the_evidence(text: str, date: str | None) -> None:
    assert _doc(text).date == date


@pytest.mark.parametrize(
    "line",
    [
        "您现在的位置:首页 > 业务板块 > 行业动态",
        "首页 社会 正文",
        "发布时间:2023-07-29 22:23:23 来源:北方网",
        "2022-01-31 15:14:19 中国日报网",
        "放大字体  缩小字体 发布日期:2018-01-15  来源:人民网",
        "A+ A-",
        "【资料图】",
        "• 关注微信",
        "(文章来源:新华财经)",
        "无障碍 政务服务 一网搜 登录| 注册",
        '1. <rp id="4r1qk"></rp>',
    ],
)
def test_chrome_lines(line: str) -> None:
    assert is_chrome(line)


@pytest.mark.parametrize(
    "line",
    [
        "天津滨海高新区上半年GDP增长6.7%",
        "2021年南通“奔跑开局” 首批重大产业项目集中开工",
        "今年上半年，高新区经济发展量质并进，GDP增长6.7%。",
        "一、2022年工作回顾",
    ],
)
def test_content_lines_are_not_chrome(line: str) -> None:
    assert not is_chrome(line)


@pytest.mark.skipif(not bench_metadata.DOCS.is_dir(), reason="../shared/corpus/news-dev not present")
def test_news_dev_gold_metadata() -> None:
    tune, check = bench_metadata.evaluate()
    for half in (tune, check):
        assert half.docs == 20
        assert half.titles >= 0.95 * half.docs, half.line("titles")
        assert half.dates >= 0.9 * half.docs, half.line("dates")
        assert half.invented == [], half.invented
        assert half.regions >= 0.9 * half.docs, half.line("places")


@pytest.mark.parametrize(
    ("text", "title", "date", "region"),
    [
        (
            "人民网首页\n人民网>>地方>>正文\n合肥高新区一季度营业收入增长12%\n"
            "2023年03月27日09:30  来源：人民网-安徽频道\n【字体：大 中 小】 打印 分享\n"
            "人民网合肥3月27日电 （记者 张三）今年一季度，合肥高新区实现营业收入1200亿元，同比增长12%。\n（责编：李四）\n",
            "合肥高新区一季度营业收入增长12%",
            "2023-03-27",
            "合肥高新技术产业开发区",
        ),
        (
            "索引号：11340000/2023-00123  发布机构：省发展改革委\n标题：关于2022年全省开发区发展情况的通报\n"
            "发文日期：2023-03-20\n各市发展改革委：\n2022年，全省开发区实现营业收入3.2万亿元，同比增长8%。\n",
            "关于2022年全省开发区发展情况的通报",
            "2023-03-20",
            None,
        ),
        (
            "首页 | 新闻中心 | 政务公开 | 投资指南\n您当前所在位置：首页 > 新闻中心 > 园区动态\n"
            "苏州工业园区上半年实际使用外资增长15%\n作者：王五    发布时间：2023年7月20日    浏览次数：1024\n"
            "7月19日，苏州工业园区召开经济形势分析会。上半年，园区实际使用外资12亿美元，同比增长15%。\n"
            "上一篇：园区举办人才招聘会\n",
            "苏州工业园区上半年实际使用外资增长15%",
            "2023-07-20",
            "苏州工业园区",
        ),
    ],
)
def test_site_layouts(text: str, title: str, date: str, region: str | None) -> None:
    doc = _doc(text)
    assert (doc.title, doc.date) == (title, date)
    if region:
        assert doc.regions[0] == region
