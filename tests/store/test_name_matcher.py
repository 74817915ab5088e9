"""A place named in a sentence, not as the start of a zone's name: plain string search, as the regex would say."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from store.answering import _ZONE_NAME_TAILS, _NameMatcher

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
