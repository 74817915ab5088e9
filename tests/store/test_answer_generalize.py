"""Answering mechanisms that must hold on unseen news, each on invented texts (not the questions that found them)."""

from __future__ import annotations

import pytest

from store.question import parse
from store.service import FactStore
from tests.store.textkit import store_of_texts, top_figure

DOCS = {
    "wuhu.txt": (
        "芜湖经开区2024年发展成绩单\n"
        "春节期间，20家商超企业实现销售额增长18%，客流量增长9%，8家重点酒店监测，销售额增长31%，入住率提高12%。\n"
        "全年引进项目52个，包括投资60亿元的华星光电模组项目、投资15亿元的顺丰物流总部项目。\n"
        "在国家级经开区综合发展水平考核中，芜湖经开区位居第38位，排名较上年跃升12位。\n"
        "芜湖经开区实际利用外资增速连续6年保持全省第一。\n"
        "芜湖经开区于1993年经国务院批准设立，规划面积160平方公里。\n"
        "2024年，芜湖经开区实现营业收入860亿元，同比增长9.1%。\n"
        "数字经济核心产业增加值完成88.5亿元，占全区地区生产总值比重达31.2%。\n"
        "芜湖经开区日均进出园区货车从开放前的420辆增长至目前的1150辆。\n"
        "12个特色园区亩均税收达到31万元，其中亩均税收最高的汽车零部件园达到86万元。\n"
        "2025年，芜湖经开区力争营业收入增长12%以上，新增高新技术企业150家。\n"
        "截至2024年底，芜湖经开区拥有高新技术企业612家。\n"
    ),
    "suzhou_big5.txt": (
        "蘇州工業園區前三季度經濟運行\n"
        "新增獨角獸企業4家，園區獨角獸企業累計達到19家，居全國開發區前列。\n"
    ),
    "tianjin.txt": (
        "天津市2024年经济运行情况\n"
        "2024年，全市地区生产总值增长5.1%。\n"
        "滨海新区聚焦先进制造业，新引进项目120个。\n"
        "滨海新区新增外贸企业380家。\n"
    ),
    "yichang.txt": (
        "宜昌高新区上半年主要经济指标发布\n"
        "主要经济指标如下：\n"
        "指标名称 | 总量 | 同比增长\n"
        "地区生产总值 | 268.4亿元 | 7.9%\n"
        "外贸进出口总额 | 53.2亿元 | 18.4%\n"
        "上半年，宜昌高新区规上工业增加值增长10.2%，固定资产投资增长15.3%。\n"
    ),
    "jiangmen_big5.txt": (
        "江門高新區2024年經濟運行\n"
        "2024年，江門高新區(qū)完成地區(qū)生產(chǎn)總值412.5億元，同比增長6.1%。\n"
    ),
    "doumen.txt": (
        "斗门区2024年工业经济运行情况\n"
        "全年完成工业投资98.6亿元，同比增长41.3%，创下历史新高。\n"
        "外贸从2019年的210亿元增长到2024年的355亿元。\n"
        "实际使用外资 Actual FDI 达到1.26亿美元，YoY +9.4%。\n"
        "在全国开发区营商环境评价中，斗门园区位列全国园区第5位。\n"
    ),
    "lingang.txt": (
        "Donglan Area H1 2025｜东岚新区上半年成绩单\n"
        "H1 东岚新区进出口总额达到415亿元，同比增长12.6%。\n"
        "2024年东岚新区共实施重点项目96个，完成投资210亿元；全年新开工项目38个。\n"
        "在全市重点园区营商环境评价中，东岚新区位列第3位，较上年跃升4位。\n"
        "东岚新区等三大板块合计贡献全市GDP的45%左右。\n"
    ),
    "baiyun.txt": (
        "西岚新区2025年一季度经济运行\n"
        "一季度，西岚新区新开工项目17个。\n"
    ),
    "cixi_big5.txt": (
        "慈溪市2024年國民經濟運行情況\n"
        "2024年，慈溪市實現地區生產總值2,610.4億元，同比增長6.9%。\n"
        "全市進出口總額達到1,932億元。\n"
        "慈溪綜合保稅區全年進出口額完成215億元。\n"
        "新增市場經營主體4.6萬戶，累計達到41.2萬戶。\n"
        "全年接待遊客2,150萬人次，旅遊總收入268億元，分別增長8.1%和12.7%。\n"
        "全市實際使用外資6.3億美元、約合45億元人民幣。\n"
        "全年新認定高新技術企業186家，高新技術企業總數達到1,204家。\n"
        "2025年，慈溪市將力爭地區生產總值增長6%左右。\n"
    ),
    "shanghai.txt": (
        "上海市2024年财政预算执行情况\n"
        "2024年，上海地方一般公共预算收入8500亿元，增长2.6%。\n"
        "对海地等国的援助项目3个已全部完成。\n"
    ),
}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> FactStore:
    return store_of_texts(tmp_path_factory.mktemp("general"), DOCS)


@pytest.mark.parametrize(
    ("question", "figure"),
    [
        # The subject stands a clause before the figure; the number the question states anchors it.
        ("8家重点酒店销售额增长多少", "31%"),
        # The name after the figure says what it is of (投资60亿元的…项目).
        ("华星光电模组项目投了多少钱", "60亿元"),
        # How far a rank moved is its own kind; which rank it is, another.
        ("芜湖经开区排名跃升了多少位", "12位"),
        ("芜湖经开区综合发展水平排第几", "第38位"),
        # A span of time asked indirectly (连续几年), whatever else the question names.
        ("芜湖经开区利用外资增速连续几年保持全省第一", "6年"),
        # 是什么时候: the filler 是什么 does not eat the question word.
        ("芜湖经开区是什么时候设立的", "1993年"),
        ("芜湖经开区是啥时候设立的？", "1993年"),
        # No target asked: the result, not next year's plan.
        ("芜湖经开区营业收入涨了多少", "9.1%"),
        ("芜湖经开区有几家高新技术企业", "612家"),
        # …and a target asked: the plan.
        ("芜湖经开区2025年营业收入增长目标是多少", "12%"),
        # 最高 in the question: the figure of the clause that says it.
        ("哪个园区亩均税收最高", "86万元"),
        # Traditional text: the clause words are matched on its simplified form (累計 = 累计).
        ("蘇州工業園區獨角獸企業累計有幾家", "19家"),
        ("苏州工业园区独角兽企业累计有几家", "19家"),
        # A two-character place is not split into the words beside it (上海|地方, not 上|海地|方).
        ("上海地方一般公共预算收入多少", "8500亿元"),
        # A word the sentence lacks but its document's title names (斗门 of a 斗门区 report).
        ("斗门工业投资涨了多少", "41.3%"),
        # The asked year comes with a figure later in the sentence (从2019年的…增长到2024年的…).
        ("斗门2024年外贸多少", "355亿元"),
        # A signed growth rate (YoY +9.4%).
        ("斗门实际使用外资YoY增长多少", "9.4%"),
        # 全国 in 全国排第几 says where the rank is counted: the sentence need not say it as a place.
        ("斗门园区营商环境全国排第几", "第5位"),
        # H1 is 上半年 (and not a word the sentence must contain).
        ("东岚新区H1进出口总额增长多少", "12.6%"),
        # After a ；, 全年 is the year the sentence's first part named; a zone the corpus names is required.
        ("东岚新区2024年新开工项目多少个", "38个"),
        # 排名上升 is said 位列 … 跃升 in the text (general synonyms of the field).
        ("东岚新区排名上升了几位", "4位"),
        # 贡献…多少 asks for a share: a percent answers a measure otherwise given as an amount.
        ("三大板块贡献全市GDP多少", "45%"),
        # 从A增长至B: B is what it is now, A what it was.
        ("芜湖经开区现在每天进出园区货车多少辆", "1150辆"),
        ("芜湖经开区开放前每天进出园区货车多少辆", "420辆"),
        # No target asked: the result, even when the plan names the measure more closely (力争GDP增长6%).
        ("慈溪GDP增长了多少", "6.9%"),
        # A zone named on the city's name (慈溪综合保税区) is not the city.
        ("慈溪进出口总额多少", "1,932億元"),
        ("慈溪综合保税区进出口额多少", "215億元"),
        # 累计 asked: not the 新增 figure beside it (and the reverse).
        ("慈溪市场经营主体累计多少户", "41.2萬戶"),
        ("慈溪新增市场经营主体多少户", "4.6萬戶"),
        ("慈溪有多少家高新技术企业", "1,204家"),  # 有多少 asks what there is, not what was added
        ("慈溪新认定了多少家高新技术企业", "186家"),
        # 分别 after figures of several measures: the i-th rate is the i-th measure's.
        ("慈溪旅游总收入增长多少", "12.7%"),
        ("慈溪接待游客增长了多少", "8.1%"),
        # 多少美元: the amount in dollars, not its conversion.
        ("慈溪实际使用外资多少美元", "6.3億美元"),
        # A data table written as text: its rows are read (not taken for a nav bar or a heading).
        ("宜昌高新区上半年地区生产总值多少", "268.4亿元"),
        ("宜昌高新区上半年外贸进出口涨了多少", "18.4%"),
        # Pinyin glosses inside words (地區(qū)生產(chǎn)總值) do not hide the measure.
        ("江门高新区2024年地区生产总值多少", "412.5億元"),
    ],
)
def testtop_figure(store: FactStore, question: str, figure: str) -> None:
    assert figure in (top_figure(store, question) or ""), question


@pytest.mark.parametrize(
    "question",
    [
        # The measure only as the whole of a share (占全区地区生产总值比重) does not report it.
        "芜湖经开区2024年地区生产总值是多少",
        # 全市 in a city's report is the city, not the district asked about.
        "滨海新区地区生产总值增长多少",
        # GDP是多少 asks for an amount: a growth rate is not one.
        "宜昌高新区固定资产投资是多少",
    ],
)
def test_no_answer(store: FactStore, question: str) -> None:
    assert store.ask(question) == [], question


def test_the_share_itself_is_answered(store: FactStore) -> None:
    assert "31.2%" in (top_figure(store, "数字经济核心产业增加值占地区生产总值比重是多少") or "")


@pytest.mark.parametrize(
    ("question", "kind", "unit"),
    [
        ("排名前进了几名", "rank", "rank_change"),
        ("排名第几", "rank", None),
        ("增速连续多少年领跑", "duration", None),
        ("建设用了多长时间", "duration", None),
        ("是什么时候开工的", "date", None),
        ("是什么时间投产", "date", None),
        ("今年GDP增长目标", "percent", None),  # a keyword query about a growth asks for a rate
        ("营业收入增速", "percent", None),
    ],
)
def test_kind_asked(question: str, kind: str, unit: str | None) -> None:
    q = parse(question)
    assert (q.kind, q.unit) == (kind, unit)
