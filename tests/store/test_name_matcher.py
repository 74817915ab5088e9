"""Plain string searches of the answering hot path give what the regular expressions they replace gave."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from store.answering import _ZONE_NAME_TAILS, _NameMatcher, _stands_alone

_PIECES = ["长春", "长春市", "新区", "经开区", "的", "全市", "开发区", "高新", "产业园", "，", "长"]


def _regex(names: tuple[str, ...], tails: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(x) for x in sorted(names, key=len, reverse=True))
    lookahead = "(?!" + "|".join(re.escape(t) for t in tails) + ")" if tails else ""
    return re.compile("(?:" + alternatives + ")" + lookahead)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=8), st.booleans())
def test_same_answer_as_the_regular_expression(pieces: list[str], with_tails: bool) -> None:
    """(a|b)(?!tails) found by the regex ⇔ found by the matcher, on texts built from names and tails."""
    text = "".join(pieces)
    names = ("长春", "长春市")
    tails = _ZONE_NAME_TAILS if with_tails else ()
    assert _NameMatcher(names, tails).search(text) == bool(_regex(names, tails).search(text))


def test_examples() -> None:
    """A city's name before a zone word is the zone's; elsewhere in the same sentence it is the city's."""
    city = _NameMatcher(("长春",), _ZONE_NAME_TAILS)
    assert not city.search("长春新区地区生产总值增长6%")
    assert city.search("长春新区是长春的新引擎")
    assert not _NameMatcher(()).search("长春")  # no names: never found


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["11", "1", "2.5"]), st.lists(st.sampled_from(["1", "11", "2", ".", "5", "个", "项目", "１"]), max_size=8))
def test_stated_number_as_the_regular_expression_says(number: str, pieces: list[str]) -> None:
    """A number the question states is found where no digit or point touches it, as (?<![\\d.])n(?![\\d.]) says."""
    text = "".join(pieces)
    expected = re.search(rf"(?<![\d.]){re.escape(number)}(?![\d.])", text) is not None
    assert _stands_alone(number, text) == expected
