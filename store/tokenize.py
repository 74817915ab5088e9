"""jieba segmentation with the project's user dictionary; tokens for the index and for questions."""

from __future__ import annotations

import logging
import re
import threading
from typing import TYPE_CHECKING

from store.paths import LEXICON_DIR

if TYPE_CHECKING:
    import jieba

log = logging.getLogger(__name__)


_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None

# Tokens carrying no meaning for retrieval (function words, punctuation is dropped separately).
_STOP_TOKENS = frozenset(
    ["的", "了", "和", "与", "及", "等", "在", "是", "为", "对", "把", "被", "将", "也", "都", "而", "并", "其", "之", "以", "于", "从", "向", "由", "到", "着", "个", "有", "中", "上", "下", "这", "那", "该", "此", "各", "每", "又", "再", "还", "就", "所", "则", "或", "即", "但", "如", "若", "让", "给", "更", "很", "最", "已", "要", "会", "能", "可", "去", "来", "多少", "几", "什么", "哪些", "哪个", "哪里", "怎么", "怎样", "如何", "是否", "吗", "呢", "吧", "啊", "呀", "么", "请问", "请", "问", "一下", "告诉", "我", "你", "我们", "知道", "想", "是多少", "为多少", "有多少", "了多少", "多大", "何时", "什么时候", "时候"]
)

_WORD = re.compile(r"[\w%.]+", re.UNICODE)


def _read_lexicon_words() -> list[str]:
    """Return user-dictionary words: the userdict file plus every alias and its parts."""
    words: list[str] = []
    userdict = LEXICON_DIR / "userdict.txt"
    if userdict.exists():
        for line in userdict.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                words.append(line.split()[0])
    aliases = LEXICON_DIR / "aliases.tsv"
    if aliases.exists():
        for line in aliases.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                words.extend(w for w in line.split("\t") if w.strip())
    return words


def get_tokenizer() -> jieba.Tokenizer:
    """Return the shared jieba tokenizer, initialised once with the user dictionary."""
    global _tokenizer
    if _tokenizer is not None:
        return _tokenizer
    with _lock:
        if _tokenizer is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            tok = jieba.Tokenizer()
            tok.initialize()
            for word in _read_lexicon_words():
                tok.add_word(word, freq=max(tok.suggest_freq(word, tune=False), 2000))
            _tokenizer = tok
    return _tokenizer


# token → its index form, or "" when it is dropped; a corpus has few distinct tokens.
_TOKEN_FORM: dict[str, str] = {}


def _index_form(token: str) -> str:
    form = _TOKEN_FORM.get(token)
    if form is None:
        stripped = token.strip()
        keep = bool(stripped) and stripped not in _STOP_TOKENS and bool(_WORD.fullmatch(stripped))
        form = stripped.lower() if keep else ""
        if len(_TOKEN_FORM) < 2_000_000:
            _TOKEN_FORM[token] = form
    return form


def index_tokens(text: str) -> list[str]:
    """Search-mode tokens of a sentence (compound words and their parts), lower-cased."""
    tok = get_tokenizer()
    forms = (_index_form(t) for t in tok.cut_for_search(text))
    return [f for f in forms if f]


def cut_words(text: str) -> list[str]:
    """Plain (accurate-mode) segmentation, used to find entity-like words in a question."""
    tok = get_tokenizer()
    return [t for t in tok.cut(text) if t.strip()]
