"""Finding known substrings of a question: the pair-and-length table and the one-slip filter."""

from __future__ import annotations

import random

from store.substrings import OneSlipFilter, SubstringIndex, built_once

KEYS = ["京东方", "京东方青岛基地", "青岛", "青岛经济技术开发区", "东方", "经开区", "技术", "a1", "x"]


def _scan(text: str, keys: set[str], max_len: int) -> list[tuple[int, int]]:
    """Every length from the longest down, every start: the order the index must give."""
    return [
        (start, start + length)
        for length in range(min(max_len, len(text)), 1, -1)
        for start in range(len(text) - length + 1)
        if text[start : start + length] in keys
    ]


def test_spans_are_the_keys_found_longest_first_then_leftmost() -> None:
    index = SubstringIndex(KEYS, max_len=8)
    text = "京东方青岛基地在青岛经开区的技术东方"
    assert index.spans(text) == _scan(text, set(KEYS), 8)
    assert index.spans(text)[0] == (0, 7)  # 京东方青岛基地
    assert (8, 10) in index.spans(text)  # 青岛
    assert all(end - start <= 8 for start, end in index.spans(text))  # 青岛经济技术开发区 is too long
    assert "x" not in index and "京东方" in index  # one-character keys are left out


def test_spans_match_a_full_scan_on_random_texts() -> None:
    rng = random.Random(7)
    alphabet = "京东方青岛经开区技术"
    keys = {"".join(rng.choice(alphabet) for _ in range(rng.randint(2, 6))) for _ in range(60)}
    index = SubstringIndex(keys, max_len=5)
    for _ in range(200):
        text = "".join(rng.choice(alphabet + "|") for _ in range(rng.randint(0, 25)))
        assert index.spans(text) == _scan(text, {k for k in keys if len(k) <= 5}, 5)


def _one_off(text: str, word: str) -> bool:
    return len(text) == len(word) and sum(a != b for a, b in zip(text, word, strict=True)) <= 1


def test_one_slip_filter_never_rejects_a_slip_and_rejects_most_others() -> None:
    rng = random.Random(3)
    alphabet = "哈尔滨宾京东方芳青岛州洲苏株"
    words = {"".join(rng.choice(alphabet) for _ in range(rng.randint(2, 8))) for _ in range(30)}
    near = OneSlipFilter(words)
    rejected = 0
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(2, 8)))
        if any(_one_off(text, w) for w in words):
            assert near.may_match(text), text
        rejected += not near.may_match(text)
    assert rejected > 500
    assert near.may_match("哈") is True  # too short to judge: never a false "no"


def test_every_slip_of_every_word_may_match() -> None:
    rng = random.Random(11)
    alphabet = "哈尔滨宾京东方芳青岛州洲苏株"
    words = {"".join(rng.choice(alphabet) for _ in range(rng.randint(2, 9))) for _ in range(50)}
    near = OneSlipFilter(words)
    for word in words:
        for i in range(len(word)):
            for ch in alphabet:
                slip = word[:i] + ch + word[i + 1 :]
                assert near.may_match(slip), (word, slip)
                assert (0, len(slip)) in near.windows(slip, 2, 12)


def test_a_long_window_must_keep_the_rest_of_a_word_not_only_a_pair() -> None:
    near = OneSlipFilter(["青岛西海岸新区"])
    assert near.may_match("青岛西海岸新城") and near.may_match("青岛东海岸新区") and near.may_match("清岛西海岸新区")
    assert not near.may_match("青岛北部某新城")  # its first pair kept, but neither the rest nor the last pair


def test_one_slip_filter_on_the_slips_of_a_name() -> None:
    near = OneSlipFilter(["哈尔滨", "苏州"])
    assert near.may_match("哈尔宾") and near.may_match("哈耳滨") and near.may_match("蛤尔滨")
    assert near.may_match("苏洲") and near.may_match("酥州")
    assert not near.may_match("青岛市") and not near.may_match("青岛") and not near.may_match("哈尔滨市")


def test_slip_windows_are_the_windows_that_may_match_longest_first() -> None:
    rng = random.Random(5)
    alphabet = "哈尔滨宾京东方芳青岛州洲苏株"
    words = {"".join(rng.choice(alphabet) for _ in range(rng.randint(2, 6))) for _ in range(40)}
    near = OneSlipFilter(words)
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 15)))
        for shortest, longest in ((2, 4), (3, 12)):
            expected = [
                (start, start + length)
                for length in range(min(longest, len(text)), shortest - 1, -1)
                for start in range(len(text) - length + 1)
                if near.may_match(text[start : start + length])
            ]
            assert near.windows(text, shortest, longest) == expected


def test_built_once_rebuilds_when_a_source_grows_or_is_replaced() -> None:
    calls: list[int] = []
    names = {"青岛"}

    def build() -> int:
        calls.append(1)
        return len(names)

    assert built_once("test names", (names,), build) == 1
    assert built_once("test names", (names,), build) == 1 and len(calls) == 1
    names.add("京东方")
    assert built_once("test names", (names,), build) == 2 and len(calls) == 2
    other = set(names)
    assert built_once("test names", (other,), build) == 2 and len(calls) == 3


def test_windows_at_are_the_windows_that_may_match_leftmost_first() -> None:
    rng = random.Random(9)
    alphabet = "哈尔滨宾京东方芳青岛州洲苏株"
    words = {"".join(rng.choice(alphabet) for _ in range(rng.randint(2, 7))) for _ in range(40)}
    near = OneSlipFilter(words)
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 15)))
        start = rng.randint(0, len(text))
        stop = rng.randint(start, len(text))
        lengths = (6, 5, 4, 3, 2) if rng.random() < 0.5 else (4, 3, 2)
        expected = [
            (pos, length)
            for pos in range(start, stop)
            for length in lengths
            if pos + length <= stop and near.may_match(text[pos : pos + length])
        ]
        assert near.windows_at(text, start, stop, lengths) == expected
