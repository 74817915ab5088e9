"""Light text normalisation shared by ingestion and questions (no NFKC: Chinese punctuation stays)."""

from __future__ import annotations

import functools
import re
from typing import Any

# Full-width digits and Latin letters fold to ASCII; so do ％ ． ＋ － ／.  Chinese punctuation
# such as ，。：（） is kept: full NFKC would turn ， into , and shift spans.
_FOLD: dict[int, int | str | None] = {cp: cp - 0xFEE0 for cp in range(0xFF10, 0xFF1A)}
_FOLD.update({cp: cp - 0xFEE0 for cp in range(0xFF21, 0xFF3B)})
_FOLD.update({cp: cp - 0xFEE0 for cp in range(0xFF41, 0xFF5B)})
_FOLD.update({ord("％"): "%", ord("．"): ".", ord("＋"): "+", ord("－"): "-", ord("／"): "/"})
_FOLD.update({0x3000: " ", 0x00A0: " ", 0xFEFF: None, 0x200B: None})

_SPACES = re.compile(r"[ \t\f\v]+")


def fold_width(text: str) -> str:
    """Fold full-width digits, Latin letters and ％．＋－／ to ASCII; U+3000 to a space."""
    return text.translate(_FOLD)


@functools.lru_cache(maxsize=1)
def _t2s() -> Any:
    import opencc  # local: loading the conversion tables costs time

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Convert traditional Chinese characters to simplified (OpenCC t2s)."""
    if text.isascii():
        return text
    return str(_t2s().convert(text))


def normalize_question(text: str) -> str:
    """Normalise a user's question: width fold, traditional→simplified, spaces squeezed."""
    folded = fold_width(text).replace("\u3000", " ")
    return _SPACES.sub(" ", to_simplified(folded)).strip()
