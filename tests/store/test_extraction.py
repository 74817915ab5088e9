"""Tests for store.extraction: gold facts, every fact kind, exclusions, span invariant, robustness."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from store.extraction import (
    ORDINAL,
    ExtractedFact,
    chinese_number,
    extract_facts,
    extract_paragraph,
)

ROOT = Path(__file__).resolve().parents[2]
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
GOLD = ROOT / "tests" / "data" / "facts.jsonl"
EXTERNAL = sorted((ROOT.parent / "shared" / "corpus" / "external").glob("*.txt"))

_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF10, 0xFF1A)}
_FOLD.update({cp: cp - 0xFEE0 for cp in range(0xFF21, 0xFF3B)})
_FOLD.update({cp: cp - 0xFEE0 for cp in range(0xFF41, 0xFF5B)})
_FOLD.update({ord("％"): "%", ord("．"): ".", 0x3000: " "})
_TERMINAL = tuple("。！？；…”）!?;")
_SENTENCE_RE = re.compile(r"[^。！？；!?;]+[。！？；!?;]*")


def paragraphs(text: str) -> list[str]:
    """Naive paragraphs: one per line, re-joining lines broken mid-sentence (no end punctuation, has a comma)."""
    out: list[str] = []
    for raw in text.translate(_FOLD).splitlines():
        line = raw.strip()
        if not line:
            continue
        if out and not out[-1].endswith(_TERMINAL) and "，" in out[-1] and not line.startswith("■"):
            out[-1] += line
        else:
            out.append(line)
    return out


def sentences(paragraph: str) -> list[str]:
    return [s for s in _SENTENCE_RE.findall(paragraph) if s.strip()]


def doc_facts(path: Path, doc_year: int) -> list[tuple[str, ExtractedFact]]:
    found = []
    for para in paragraphs(path.read_text(encoding="utf-8")):
        sents = sentences(para)
        for sent, facts in zip(sents, extract_paragraph(sents, doc_year=doc_year), strict=True):
            found.extend((sent, f) for f in facts)
    return found


def one(sentence: str, span: str, **kw: int) -> ExtractedFact:
    facts = [f for f in extract_facts(sentence, **kw) if span in f.span]  # type: ignore[arg-type]
    assert facts, f"{span!r} not found in {[f.span for f in extract_facts(sentence, **kw)]}"  # type: ignore[arg-type]
    return facts[0]


def spans(sentence: str, **kw: int) -> list[str]:
    return [f.span for f in extract_facts(sentence, **kw)]  # type: ignore[arg-type]


# --------------------------------------------------------------------------- gold


def test_gold_facts_reproduced() -> None:
    gold = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    by_doc = {p.name: doc_facts(p, 2023) for p in SEEDS}
    found, wrong = 0, []
    for g in gold:
        matches = [
            f
            for _, f in by_doc[g["doc"]]
            if g["span"] in f.span
            and f.kind == g["kind"]
            and f.unit == g["unit"]
            and f.value is not None
            and math.isclose(f.value, g["value"], rel_tol=1e-9)
        ]
        if not matches:
            continue
        found += 1
        f = matches[0]
        if f.target != g["target"] or f.period != g["period"]:
            wrong.append((g["span"], f.target, f.period, g["target"], g["period"]))
    assert found >= 27, f"only {found}/{len(gold)} gold facts found"
    assert not wrong, wrong


def test_span_invariant_on_seeds_and_external_corpus() -> None:
    paths = SEEDS + EXTERNAL
    assert len(SEEDS) == 2
    total = 0
    for path in paths:
        year = 2023 if path in SEEDS else int(re.search(r"_(\d{4})_", path.name).group(1))  # type: ignore[union-attr]
        for sent, f in doc_facts(path, year):
            assert sent[f.start : f.end] == f.span, (path.name, sent, f)
            assert f.kind in {"money", "count", "percent", "area", "rank", "date", "duration", "other"}
            assert (f.value is None) == (f.kind == "date")
            total += 1
    assert total > 1000 or not EXTERNAL


# --------------------------------------------------------------------------- kinds


def test_money_units_and_magnitudes() -> None:
    f = one("总投资1454亿元的160个攻坚项目", "1454亿元")
    assert (f.kind, f.value, f.unit) == ("money", 1454e8, "CNY")
    f = one("贝卡尔特青岛公司一次性增资5000万美元扩建生产线", "5000万美元")
    assert (f.value, f.unit) == (5e7, "USD")
    assert one("实现地区生产总值9.86万亿元、增长5.7%", "9.86万亿元").value == 9.86e12
    assert one("外贸进出口总额达到4.27万亿元", "4.27万亿元").value == 4.27e12  # exact, no float noise
    assert one("人均收入3.2万元", "3.2万元").value == pytest.approx(32000)
    assert one("投资3亿欧元", "3亿欧元").unit == "EUR"
    f = one("引进亿元以上海洋产业项目50个", "亿元以上")
    assert (f.value, f.qualifier, f.unit) == (1e8, "threshold", "CNY")  # a class of projects, not a figure
    assert one("力争新签约过亿元重点项目", "过亿元").qualifier == "threshold"
    f = one("其中跨境电商进口贸易额约56.7亿元", "56.7亿元")
    assert (f.span, f.qualifier) == ("约56.7亿元", "约")
    assert one("项目总投资一千四百五十四亿元", "亿元").value == pytest.approx(1454e8)
    assert one("总投资100亿，建设周期两年", "100亿").kind == "money"


def test_counts_keep_their_measure_word() -> None:
    f = one("接待游客43.6万人次，同比增长30.2%", "43.6万人次")
    assert (f.kind, f.value, f.unit, f.metric) == ("count", 436000, "人次", "接待游客")
    assert one("设计产能近2亿片", "2亿片").unit == "片"
    assert one("共24栋厂房实现主体封顶", "24栋").unit == "栋"
    assert one("开通公交线路12条", "12条").unit == "条"
    assert one("新增新能源公交车300辆", "300辆").unit == "辆"
    assert one("首批15家企业入驻", "15家").unit == "家"
    f = one("累计排查整治隐患760余项", "760余项")
    assert (f.value, f.qualifier) == (760, "余")
    f = one("建成50多个口袋公园", "50多个")
    assert (f.value, f.qualifier) == (50, "多")
    assert one("持续加强三支队伍建设", "三支").value == 3


def test_percents() -> None:
    f = one("占全省比重超过七成", "七成")
    assert (f.kind, f.value, f.unit, f.qualifier) == ("percent", 70, "%", "超过")
    f = one("力争海洋生产总值增长12%以上", "12%")
    assert (f.span, f.value, f.qualifier) == ("12%以上", 12, "以上")
    f = one("同比增长约18%", "18%")
    assert (f.value, f.qualifier) == (18, "约")
    assert one("覆盖率达到百分之八十五", "百分之八十五").value == 85
    f = one("增速高于全国0.7个百分点", "0.7个百分点")
    assert (f.kind, f.unit, f.value) == ("percent", "百分点", 0.7)


def test_areas() -> None:
    f = one("总建筑面积18.5万平方米", "18.5万平方米")
    assert (f.kind, f.value, f.unit) == ("area", 185000, "平方米")
    assert one("研究确定33.95平方公里范围内", "33.95平方公里").unit == "平方公里"
    assert one("规划占地857亩", "857亩").unit == "亩"
    assert one("新增造林120公顷", "120公顷").unit == "公顷"
    assert one("建设高标准农田18亿亩", "18亿亩").value == 18e8


def test_ranks() -> None:
    f = one("青岛经济技术开发区综合排名位列第七，继续保持全国前列", "第七")
    assert (f.kind, f.value, f.unit) == ("rank", 7, "rank")
    assert f.metric == "综合排名" and f.subject == "青岛经济技术开发区"
    f = one("进出口总额全国排名第六，实际使用外资全国排名第九", "第六")
    assert f.metric == "进出口总额"
    assert one("进出口总额全国排名第六，实际使用外资全国排名第九", "第九").value == 9
    assert one("综合发展水平继续位居全国前列、全省首位", "首位").value == 1
    assert one("项目个数、总投资均位居全市第一", "第一").value == 1
    f = one("青岛自贸片区在全国67个自贸片区中处于第一梯队", "第一梯队")
    assert (f.value, f.qualifier) == (1, "梯队")
    assert one("实际使用外资118.1亿美元，规模居全国第五位", "第五").value == 5
    assert spans("全国第一个跨境电商综试区") == []
    assert spans("第二轮中央生态环境保护督察") == []


def test_dates_resolve_against_doc_year() -> None:
    f = one("2022年11月25日，青岛京东方光电科技有限公司产品点亮", "2022年11月25日")
    assert (f.kind, f.date, f.period, f.value, f.unit) == ("date", "2022-11-25", 2022, None, "date")
    f = one("1月28日，癸卯兔年首个工作日", "1月28日", doc_year=2023)
    assert f.date == "2023-01-28"
    assert one("今年，新区将实施提升战略", "今年", doc_year=2023).date == "2023"
    assert one("去年，西海岸新区完成贸易额103.4亿元", "去年", doc_year=2023).date == "2022"
    assert one("2023年一季度攻坚项目集中开工", "2023年一季度").date == "2023"
    assert one("截至2024年6月，全省已建成", "2024年6月").date == "2024-06"
    assert [f for f in extract_facts("今年春节期间") if f.kind == "date"] == []  # no doc year, no guess
    assert one("去年10月回到福建考察", "去年10月", doc_year=2025).date == "2024-10"
    assert [f.span for f in extract_facts("1—11月规上工业增加值增长6%", doc_year=2025)] == ["6%"]
    f = one("较2022年增长55.6%", "2022年", doc_year=2023)
    assert (f.kind, f.date) == ("date", "2022")


def test_durations() -> None:
    f = one("项目提前63天实现封顶", "63天")
    assert (f.kind, f.value, f.unit) == ("duration", 63, "天")
    assert one("仅13个月即实现产品点亮", "13个月").unit == "个月"
    assert one("一期仅1年即实现生产线点火投产", "1年").unit == "年"
    assert one("政务服务24小时不打烊", "24小时").unit == "小时"
    assert spans("实施实体经济振兴发展三年行动计划") == []
    # 今年前8个月 is the part of the year the figures are of; 提前2个月 is a duration.
    assert [f.kind for f in extract_facts("今年前8个月，全市外贸进出口增长4.2%", doc_year=2025)] == ["date", "percent"]
    assert one("比计划提前2个月完成", "2个月").kind == "duration"

    # 是全国第7个示范区: an ordinal of a designation is a rank fact marked ORDINAL; 第一批项目 is none.
    ranks = [(f.span, f.value, f.qualifier) for f in extract_facts("该区是全省第7个获批的示范区") if f.kind == "rank"]
    assert ranks == [("第7个", 7.0, ORDINAL)]
    assert [f for f in extract_facts("第一批项目已开工") if f.kind == "rank"] == []
    # 同年/当年/次年 are of the year the sentence named before them.
    dates = [(f.span, f.date) for f in extract_facts("2024年1月获批，同年12月通过验收，次年3月封关", doc_year=2026)]
    assert dates == [("2024年1月", "2024-01"), ("同年12月", "2024-12"), ("次年3月", "2025-03")]


def test_chinese_numerals() -> None:
    assert chinese_number("一千四百五十四") == 1454
    assert chinese_number("七") == 7
    assert chinese_number("两") == 2
    assert chinese_number("二十") == 20
    assert chinese_number("3.5万") == 35000
    assert chinese_number("千亿") == 1e11
    assert chinese_number("七成") is None
    assert chinese_number("") is None
    assert chinese_number("abc") is None
    assert one("建设二十个重点园区", "二十个").value == 20
    assert one("新增两家上市公司", "两家").value == 2


# --------------------------------------------------------------------------- exclusions


@pytest.mark.parametrize(
    "sentence",
    [
        "深入学习贯彻党的二十大和二十届三中全会精神",
        "增强“四个意识”、坚定“四个自信”、做到“两个维护”",
        "深刻领悟“两个确立”的决定性意义",
        "深度落实“一核引领、三点布局、智变融合、陆海统筹”产业规划",
        "深入实施“十四五”规划",
        "严格落实中央八项规定精神",
        "坚持和平共处五项原则",
        "聚焦四大国家战略",
        "久久为功抓好“5+5+7”重点产业",
        "自贸区“2.0”版擘画出立体图景",
        "加快潍柴(青岛)海洋装备制造中心建设",
        "一个新的项目就是一个新的经济增长极",
        "打造千亿级产业集群",
        "第十四届全国人民代表大会第三次会议",
        "按照“两年见成效、三年大变样”总体要求",
        "全面把握五个“必须统筹好”",
        "助力打好实现建军一百年奋斗目标攻坚战",
        "落细落实省委十一届六次全会确定的任务",
        "持续推进长江十年禁渔",
    ],
)
def test_fixed_phrases_are_not_facts(sentence: str) -> None:
    assert [f for f in extract_facts(sentence) if f.kind != "date"] == []


def test_line_numbers_and_phases_are_not_facts() -> None:
    s = "加快推进基础公共设施建设，年内实现地铁6号线一期空载试运行、13号线二期北段通车运营"
    facts = extract_facts(s, doc_year=2023)
    assert [f.span for f in facts] == ["年内"]
    assert spans("石化区9号闸口正式投入使用") == []


# --------------------------------------------------------------------------- target and period


def test_target_cues_are_clause_scoped_and_past_is_not_a_target() -> None:
    s = "今年，新区将实施自贸试验区提升战略，年内形成不少于30项含金量高的制度创新成果；"
    f = one(s, "30项", doc_year=2023)
    assert (f.target, f.period) == (True, 2023)
    f = one("而在青岛市2023年重点项目中，青岛西海岸新区入选77个，计划总投资2953亿元，较2022年增长55.6%", "2953亿元", doc_year=2023)
    assert (f.target, f.period) == (False, 2023)
    f = one("西海岸新区始终把推进城市更新作为出发点，2022年推进总投资1454亿元的160个攻坚项目，分别完成全年目标的142%", "142%", doc_year=2023)
    assert (f.target, f.period) == (False, 2022)
    f = one("据悉，从2022年开始，新区集聚总投资1500亿元的50个项目", "1500亿元", doc_year=2023)
    assert (f.target, f.period) == (False, None)
    f = one("到2027年，全省数字经济核心产业增加值占比达到15%", "15%", doc_year=2025)
    assert (f.target, f.period) == (True, 2027)
    f = one("去年，全省累计完成投资500亿元", "500亿元", doc_year=2025)
    assert (f.target, f.period) == (False, 2024)


def test_paragraph_carries_period() -> None:
    sents = ["去年，西海岸新区完成跨境电商贸易额103.4亿元。", "其中跨境电商进口贸易额约56.7亿元，同比增长约18%。"]
    out = extract_paragraph(sents, doc_year=2023)
    assert [f.period for f in out[1]] == [2022, 2022]
    # a year inside a relative clause is not a topic for the next sentence
    sents = ["例如，在2022年年底实现量产的京东方项目，是全球最大的工厂。", "项目提前63天实现封顶。"]
    assert extract_paragraph(sents, doc_year=2023)[1][0].period is None
    # a ；-cut list continues the cue of its lead-in
    sents = ["今年主要预期目标是：地区生产总值增长5.5%左右；", "城镇新增就业110万人以上；"]
    out = extract_paragraph(sents, doc_year=2025)
    assert [(f.target, f.period) for f in out[1]] == [(True, 2025)]


def test_context_period_for_report_review_sections() -> None:
    f = one("全年粮食产量1.13亿吨", "1.13亿吨", doc_year=2025, context_period=2024)
    assert (f.kind, f.target, f.period) == ("other", False, 2024)
    out = extract_paragraph(["全年实际使用外资50亿美元。"], doc_year=2025, context_period=2024)
    assert [(f.target, f.period) for f in out[0]] == [(False, 2024)]


def test_review_style_sentences_are_not_targets() -> None:
    # exhortation reaches only its own clause; 争取 can mean "secured"; 将…调整 is the disposal 将
    s = "加快建设“万亩千亿”产业平台，新增8个省产业园"
    assert one(s, "8个", doc_year=2025).target is False
    s = "预计全省研发投入强度3.6%左右，区域创新能力连续8年全国第一"
    assert one(s, "3.6%", doc_year=2025).target is True
    assert one(s, "第一", doc_year=2025).target is False
    s = "支持惠州打造新增长极，将23项省级行政职权事项调整由中新知识城实施"
    assert one(s, "23项", doc_year=2025).target is False
    s = "近岸海域优良海水面积优于国家考核目标19.8个百分点"
    assert one(s, "19.8个百分点", doc_year=2025).target is False


def test_subject_and_metric_labels() -> None:
    f = one("在青岛开发区，总投资475亿元的青岛光电产业园，一期仅1年即实现生产线点火投产", "475亿元")
    assert (f.subject, f.metric, f.label) == ("青岛光电产业园", "总投资", "青岛光电产业园 总投资")
    s = "京东方物联网移动显示端口器件生产基地由京东方科技集团投资建设，总投资81.7亿元，项目主要生产中小尺寸液晶显示模组"
    f = one(s, "81.7亿元")
    assert (f.subject, f.metric) == ("京东方物联网移动显示端口器件生产基地", "总投资")


# --------------------------------------------------------------------------- robustness


def test_import_has_no_side_effects() -> None:
    code = "import sys, store.extraction; assert 'cn2an' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(
            list("0123456789.%,+-/年月日号第个项亿万千百十元美平方米公里亩成以上约近超过两一二三七九首位排名全国今去将力争，。；：“”《》()（）、的区园 ab")
        ),
        max_size=60,
    ),
    st.one_of(st.none(), st.integers(min_value=1900, max_value=2100)),
)
def test_arbitrary_text_never_raises_and_spans_hold(text: str, doc_year: int | None) -> None:
    for f in extract_facts(text, doc_year=doc_year, context_period=doc_year):
        assert text[f.start : f.end] == f.span
        assert f.span
    for sent, facts in zip([text, text], extract_paragraph([text, text], doc_year=doc_year), strict=True):
        for f in facts:
            assert sent[f.start : f.end] == f.span


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_any_unicode_never_raises(text: str) -> None:
    for f in extract_facts(text, doc_year=2023):
        assert text[f.start : f.end] == f.span


# --------------------------------------------------------------------------- real text (issue F, item 4)


def test_traditional_text_is_read_simplified_but_spans_stay_as_written() -> None:
    s = "該區上半年完成地區生產總值88.6億元，新增企業1200個，接待遊客12萬人次"
    f = one(s, "88.6億元")
    assert (f.kind, f.value, f.unit, f.metric) == ("money", 88.6e8, "CNY", "地区生产总值")
    assert s[f.start : f.end] == f.span == "88.6億元"
    assert one(s, "1200個").unit == "个"
    assert one(s, "12萬人次").value == 120000


def test_numbers_with_inner_spaces_and_separators() -> None:
    s = "全区生产总值达到512.3 亿元，增长7 . 2%，引进人才30,000 名，完成投资1 386亿元"
    assert one(s, "512.3 亿元").value == pytest.approx(512.3e8)
    assert one(s, "7 . 2%").value == pytest.approx(7.2)
    assert one(s, "30,000 名").value == 30000
    assert one(s, "1 386亿元").value == pytest.approx(1386e8)
    assert one("旅客吞吐量3521. 8万人次", "3521. 8万人次").value == pytest.approx(35218000)
    for f in extract_facts(s):
        assert s[f.start : f.end] == f.span


def test_pinyin_glosses_do_not_break_figures() -> None:
    s = "示范區(qū)工業(yè)增加值增長(zhǎng)9.1%"
    f = one(s, "9.1%")
    assert f.metric == "工业增加值增长"
    assert s[f.start : f.end] == f.span


def test_rank_forms() -> None:
    assert one("软件业务收入居全国城市第7位", "第7位").value == 7
    assert one("营商环境评价名列全省第二名", "第二名").value == 2
    assert one("综合考评中列15位", "15位").kind == "rank"
    f = one("新区跻身全国百强园区前30名", "前30名")
    assert (f.kind, f.value, f.qualifier) == ("rank", 30, "前")
    assert [(f.span, f.value) for f in extract_facts("两所高校分别获得第5和第19名") if f.kind == "rank"] == [
        ("第5", 5), ("第19名", 19)
    ]
    assert one("在全省产业园区中位列第9位", "第9位").kind == "rank"
    assert [f.kind for f in extract_facts("第一季度开工第二批项目")] == []


def test_rank_changes_are_ranks_with_their_own_unit() -> None:
    f = one("园区综合排名较上年跃升12位", "跃升12位")
    assert (f.kind, f.value, f.unit, f.qualifier) == ("rank", 12, "rank_change", "跃升")
    assert one("排名前移三个位次", "前移三个位次").value == 3
    assert one("全国排名下降2位", "下降2位").value == -2
    f = one("创新指数排名上升4位至第11位", "第11位")
    assert (f.kind, f.unit, f.value) == ("rank", "rank", 11)


def test_chinese_numeral_counts() -> None:
    f = one("年内实现八个关键技术突破", "八个")
    assert (f.kind, f.value, f.metric) == ("count", 8, "关键技术突破")
    f = one("重点培育四大类新兴产业", "四大类")
    assert (f.kind, f.value, f.unit) == ("count", 4, "类")
    assert spans("五台山景区接待游客") == []
    assert [f.span for f in extract_facts("九台区新增企业三家")] == ["三家"]  # 九台 is a place name
    assert spans("三门峡市两个项目开工") == ["两个"]


def test_ranges_are_one_figure() -> None:
    f = one("预计全年增长6.0%—6.5%", "6.0%—6.5%")
    assert (f.kind, f.value, f.qualifier) == ("percent", 6.0, "range")
    f = one("力争5-6家企业进入全国百强", "5-6家")
    assert (f.kind, f.value, f.unit, f.qualifier) == ("count", 5, "家", "range")
    assert one("单体投资20～30亿元", "20～30亿元").value == pytest.approx(20e8)
    assert [f.span for f in extract_facts("企业由8家增至12家")] == ["8家", "12家"]


def test_thresholds_are_flagged() -> None:
    s = "新签约亿元以上工业项目31个，其中20亿元以上项目4个，投资超5亿元项目9个"
    assert one(s, "亿元以上").qualifier == "threshold"
    assert one(s, "20亿元以上").qualifier == "threshold"
    assert one(s, "超5亿元").qualifier == "threshold"
    assert one(s, "31个").qualifier is None
    assert one("其中50亿元2个、10亿元5个", "50亿元").qualifier == "threshold"
    assert one("服务70岁以上老年人", "70岁以上").qualifier == "threshold"
    # a figure with 以上 that is itself the answer stays a figure
    assert one("全年推出80项以上改革举措", "80项以上").qualifier == "以上"
    assert one("力争增长8%以上", "8%以上").qualifier == "以上"
    assert one("地区生产总值迈过500亿元大关", "过500亿元").qualifier == "过"
    assert one("营业收入超36.2亿元人民币", "超36.2亿元").qualifier == "超"


def test_relative_periods_resolve_against_the_document_year() -> None:
    f = one("去年全区完成固定资产投资210亿元", "210亿元", doc_year=2025)
    assert (f.period, f.target) == (2024, False)
    f = one("前年引进项目40个", "40个", doc_year=2025)
    assert f.period == 2023
    f = one("明年力争进出口总额突破100亿元", "突破100亿元", doc_year=2025)
    assert (f.period, f.target) == (2026, True)


def test_every_clause_of_a_plan_sentence_is_a_target() -> None:
    s = "今年力争新开工项目60个，完成投资300亿元，新增规上企业25家，城镇新增就业1.2万人"
    facts = [f for f in extract_facts(s, doc_year=2025) if f.kind != "date"]
    assert len(facts) == 4
    assert all(f.target and f.period == 2025 for f in facts), facts


def test_labels_are_words_of_the_clause() -> None:
    bad = {"和", "以", "", "与", "及", "的"}
    sentences = [
        "园区和高新区分别完成投资12亿元和9亿元",
        "以招商引资为抓手，以项目建设为支撑，完成投资45亿元",
        "增速居全国城市第5位，全球创新指数排名提升3位至第30位",
        "去年地区生产总值增长5.5%，进出口总额和实际利用外资分别增长3%和7%",
    ]
    for s in sentences:
        for f in extract_facts(s, doc_year=2025):
            for label in (f.subject, f.metric):
                assert label is None or (label not in bad and len(label) >= 2 and set(label) <= set(s)), (s, f)
    facts = extract_facts(sentences[0])
    assert [(f.subject, f.metric) for f in facts] == [("园区", "投资"), ("高新区", "投资")]
    facts = extract_facts(sentences[3], doc_year=2025)
    assert [f.metric for f in facts if f.kind == "percent"] == ["地区生产总值增长", "进出口总额增长", "实际利用外资增长"]
    assert one(sentences[2], "第30位").metric == "全球创新指数排名"


def test_signing_is_not_the_qualifier_about() -> None:
    f = one("全市新签约25个项目，签约亿元以上项目8个", "25个")
    assert (f.span, f.qualifier) == ("25个", None)
    assert one("全市新签约25个项目，签约亿元以上项目8个", "亿元以上").qualifier == "threshold"


def test_review_year_reaches_full_year_figures_and_noun_targets_are_not_cues() -> None:
    f = one("一年来，园区全年新落地项目320个", "320个", doc_year=2024)
    assert f.period == 2023
    s = "县里时隔两年再获全市发展目标责任制考核优秀"
    out = extract_paragraph([s], doc_year=2024, context_period=2023)
    assert [(f.span, f.target) for f in out[0]] == [("两年", False)]


def test_metric_labels_drop_glosses_and_split_off_the_entity() -> None:
    assert one("实现地区生产总值(GDP)812.5亿元", "812.5亿元").metric == "地区生产总值"
    f = one("研发投入强度最高的滨江高新区达6.1%", "6.1%")
    assert (f.subject, f.metric) == ("滨江高新区", "研发投入强度")


def test_semicolon_parts_keep_the_subject_of_their_sentence() -> None:
    parts = ["滨江高新区上半年完成投资86亿元；", "新增企业42家；", "实际利用外资3亿美元。", "全市新增企业900家。"]
    out = extract_paragraph(parts, doc_year=2025)
    assert [f.subject for f in out[1]] == ["滨江高新区"]
    assert [f.subject for f in out[2]] == ["滨江高新区"]
    assert [f.subject for f in out[3]] == [None]  # a new sentence starts afresh


def test_plan_cues_reach_cumulative_clauses_and_this_years_plans() -> None:
    s = "力争工业增加值增长7%，服务业增加值增长6%，累计完成投资260亿元"
    assert all(f.target for f in extract_facts(s, doc_year=2025))
    s = "今年计划实施重点项目85个，总投资620亿元"
    facts = [f for f in extract_facts(s, doc_year=2025) if f.kind != "date"]
    assert [(f.span, f.target) for f in facts] == [("85个", True), ("620亿元", True)]
    assert (facts[0].subject, facts[0].metric) == (None, "重点项目")
    s = "完成工业总产值800亿元，增长9%(预计数，下同)"
    assert [f.target for f in extract_facts(s, doc_year=2025)] == [False, False]


def test_from_to_figures_share_their_measure_and_keep_their_years() -> None:
    s = "示范区(以下简称示范区)出口从2021年的820亿元增长到2024年的1350亿元"
    facts = [f for f in extract_facts(s, doc_year=2025) if f.kind == "money"]
    assert [(f.span, f.metric, f.period) for f in facts] == [("820亿元", "出口", 2021), ("1350亿元", "出口", 2024)]
    s = "日均通行车辆从开通前的350辆增长至目前的900辆次"
    assert [f.metric for f in extract_facts(s)] == ["通行车辆", "通行车辆"]
    assert one(s, "900辆次").unit == "辆次"
