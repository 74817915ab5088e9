"""Question answering over the in-memory index: intent, entities, ranking, abstention."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from store.index import MAX_TERM_LEN, SearchIndex
from store.normalize import normalize_question
from store.views import Answer, FactView

# Question words and fillers: removed before matching so they never count as content.
_QUESTION_WORDS = sorted(
    {
        "什么时候", "什么时间", "啥时候", "几时", "何时", "哪一年", "哪年", "哪天", "哪一天", "几月",
        "多少钱", "多少个", "多少项", "多少家", "多少", "几个", "几项", "几家", "第几", "几位", "几",
        "多大", "多高", "多长", "多久", "多快", "哪些", "哪个", "哪家", "哪里", "什么", "啥", "咋",
        "怎么样", "怎样", "如何", "情况", "是否", "有没有", "是不是", "请问", "请", "告诉我", "我想知道",
        "知道", "一下", "吗", "呢", "吧", "啊", "呀", "么", "是", "了", "的", "有", "在", "都", "共",
        "一共", "总共", "大概", "大约", "具体", "现在", "目前", "排名第几", "为", "达到", "到",
        "这次", "那次", "本次", "这个", "那个", "这些", "那些", "到底", "究竟", "差不多",
    },
    key=len,
    reverse=True,
)
_QUESTION_RE = re.compile("|".join(re.escape(w) for w in _QUESTION_WORDS))
# Positional and linking characters that jieba may glue to a neighbour (…中排第几): not a concept.
_GLUE = frozenset("中里内上下前后间排为与和及在对向从到把被让于以之其该此各")
_PUNCT_RE = re.compile(r"[\s，。！？；：、“”‘’（）()《》!?,.;:\"'…·@/]+")
_YEAR_RE = re.compile(r"((?:19|20)\d{2})\s*年")
_RELATIVE_YEARS = {"今年": 0, "本年": 0, "年内": 0, "全年": 0, "去年": -1, "上年": -1, "前年": -2, "明年": 1}

# Measure words users ask with (多少个/几项 …) → the fact unit they expect.
_COUNT_UNITS = "个项家人次人栋条辆片座所户台套批款件处名位"
_UNIT_HINT_RE = re.compile(rf"(?:多少|几)([{_COUNT_UNITS}]|人次)")

_INTENT_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("date", re.compile(r"什么时候|什么时间|啥时候|何时|哪一?年|哪一?天|几月|几号|日期|时间")),
    ("rank", re.compile(r"第几|排名|排第|位列|位居|名次|排位|排在")),
    ("list", re.compile(r"哪些|有什么|包括什么|包含哪|都有|哪[两二三四五六七八九十几]+[大个项家类条]")),
    ("percent", re.compile(r"比重|占比|比例|百分|增速|增幅|增长率|几成|占(?:多少|几)")),
    ("area", re.compile(r"面积|占地|多大|亩|平方|范围")),
    ("duration", re.compile(r"多久|多长时间|几天|几个月|用了多长")),
    ("amount", re.compile(r"多少|几|规模|金额|总额|投资|总量|数量")),
)
_DAY_RE = re.compile(r"哪天|哪一天|几号|几月几[日号]|哪一日|具体日期")
_TARGET_RE = re.compile(r"目标|计划|力争|预计|将要|要形成|要实现|打算|今年要|年内要|规划要|任务")

_INTENT_KINDS: dict[str, tuple[str, ...]] = {
    "date": ("date",),
    "rank": ("rank",),
    "percent": ("percent",),
    "area": ("area",),
    "duration": ("duration",),
    "amount": ("money", "count", "percent", "area", "other", "duration"),
    "list": (),
    "other": (),
}

COMMON_TERM_ROWS = 5_000  # postings longer than this (and 3 % of rows) only count in the rerank
RERANK_DEPTH = 80  # BM25 candidates that get the full (fact-aware) scoring
MIN_COVERAGE = 0.5  # share of the question's content a best answer must cover
MIN_TOPIC_COVERAGE = 0.5  # share of its non-entity words (the metric asked about)
MIN_SCORE = 0.35


@dataclass(slots=True)
class QueryTerm:
    """A question term found in the index vocabulary, with its weight."""

    text: str
    weight: float
    entity: str | None = None  # canonical entity name when the term stands for an entity
    rows: np.ndarray | None = None  # for phrases the tokenizer split into characters (占比)


@dataclass(slots=True)
class ParsedQuestion:
    """What the answerer understood of a question."""

    text: str
    intents: tuple[str, ...]
    target: bool
    unit_hint: str | None
    years: tuple[int, ...]
    relative_years: tuple[int, ...]
    terms: list[QueryTerm]
    entities: dict[str, tuple[str, ...]]  # canonical entity → surfaces to look for
    unknown: list[str]  # content the corpus has never seen
    content_weight: float = 0.0
    corrections: list[tuple[str, str]] = field(default_factory=list)
    wants_day: bool = False  # 哪天, 几号: a date with a day

    @property
    def intent(self) -> str:
        """The main intent (first detected)."""
        return self.intents[0] if self.intents else "other"


def detect_intents(text: str) -> tuple[str, ...]:
    """Intents of a normalised question, most specific first (date, rank, list, percent …)."""
    found = [name for name, pattern in _INTENT_PATTERNS if pattern.search(text)]
    if "rank" in found and "amount" in found:
        found.remove("amount")
    if "area" in found and "amount" in found:
        found.remove("amount")
        found.append("amount")
    return tuple(found) or ("other",)


def _strip_question_words(text: str) -> str:
    """Replace question words and punctuation with a separator so terms never span them."""
    return _QUESTION_RE.sub("|", _PUNCT_RE.sub("|", text))


def parse_question(question: str, index: SearchIndex) -> ParsedQuestion:
    """Normalise a question and find its intent, time words, index terms and entities."""
    text = normalize_question(question)
    lowered = text.lower()
    intents = detect_intents(lowered)
    unit_match = _UNIT_HINT_RE.search(lowered)
    years = tuple(int(y) for y in _YEAR_RE.findall(lowered))
    relative = tuple(off for word, off in _RELATIVE_YEARS.items() if word in lowered)
    target = bool(_TARGET_RE.search(lowered))

    stripped = _strip_question_words(_YEAR_RE.sub("|", lowered) if years else lowered)
    for word in _RELATIVE_YEARS:
        stripped = stripped.replace(word, "|")
    gaz = index.gazetteer
    covered = [False] * len(stripped)
    terms: dict[str, QueryTerm] = {}
    entities: dict[str, tuple[str, ...]] = {}
    corrections: list[tuple[str, str]] = []

    def mark(start: int, end: int) -> None:
        for i in range(start, end):
            covered[i] = True

    # Known entity names (aliases included), longest first, non-overlapping.
    taken = [False] * len(stripped)
    for length in range(min(MAX_TERM_LEN + 8, len(stripped)), 1, -1):
        for start in range(len(stripped) - length + 1):
            if any(taken[start : start + length]):
                continue
            sub = stripped[start : start + length]
            if "|" in sub:
                continue
            canon = gaz.canonical.get(sub)
            if canon is None and sub not in gaz.names:
                continue
            surfaces = gaz.expand(sub)
            entities[canon or sub] = surfaces
            for i in range(start, start + length):
                taken[i] = True
            mark(start, start + length)

    # Index vocabulary terms inside the question (what cut_for_search would give, corpus-bound).
    vocab = index.vocab
    for length in range(min(MAX_TERM_LEN, len(stripped)), 0, -1):
        for start in range(len(stripped) - length + 1):
            sub = stripped[start : start + length]
            if "|" in sub or sub not in vocab or sub in terms:
                continue
            if length == 1 and (covered[start] or not sub.isalnum()):
                continue
            terms[sub] = QueryTerm(sub, index.term_idf(sub) * (0.5 if length == 1 else 1.0))
            if length >= 2:
                mark(start, start + length)

    # One-character typos of known names (殷家河 → 股家河, 京东芳 → 京东方).
    for chunk_start, chunk in _chunks(stripped):
        if all(covered[chunk_start : chunk_start + len(chunk)]):
            continue
        for typed, known in gaz.typo_candidates(chunk):
            pos = stripped.find(typed)
            if pos < 0 or all(covered[pos : pos + len(typed)]):
                continue
            # The slip must be where the question says something the corpus does not know.
            diff = [i for i, (a, b) in enumerate(zip(typed, known, strict=False)) if a != b]
            if not diff or covered[pos + diff[0]]:
                continue
            corrections.append((typed, known))
            canon = gaz.canonical.get(known.lower())
            entities[canon or known] = gaz.expand(known)
            mark(pos, pos + len(typed))
            break

    # Entity surfaces that are whole index terms join the query (aliases: 黄岛开发区 → 青岛经济技术开发区).
    for canon, surfaces in entities.items():
        for surface in surfaces:
            key = surface.lower()
            if key in vocab and key not in terms:
                terms[key] = QueryTerm(key, index.term_idf(key) * 0.8, entity=canon)
            elif key in terms:
                terms[key].entity = canon

    # Runs no vocabulary term covers: a phrase split into characters (占比), or an unknown concept.
    unknown = []
    for run in re.findall(r"[\u4e00-\u9fff]{2,}|[a-z0-9]{2,}", _uncovered(stripped, covered)):
        for word in _words(run):
            rows = index.phrase_rows(word)
            if len(rows):
                terms.setdefault(word, QueryTerm(word, index.idf_for_count(len(rows)), rows=rows))
            elif not (len(word) == 2 and (word[0] in _GLUE or word[1] in _GLUE)):
                unknown.append(word)
    for canon, surfaces in entities.items():
        # Only curated names can be absent: mined names and regions come from the corpus itself.
        if canon in gaz.surfaces and not any(_in_corpus(index, s.lower()) for s in surfaces):
            unknown.append(canon)
    content_weight = sum(t.weight for t in terms.values() if len(t.text) > 1)
    return ParsedQuestion(
        text=text, intents=intents, target=target,
        unit_hint=unit_match.group(1) if unit_match else None, years=years,
        relative_years=relative, terms=list(terms.values()), entities=entities, unknown=unknown,
        content_weight=content_weight, corrections=corrections,
        wants_day=bool(_DAY_RE.search(lowered)),
    )


def _in_corpus(index: SearchIndex, name: str) -> bool:
    """True when some indexed sentence contains the name (as a token or as characters)."""
    rows = index.postings(name)
    return (rows is not None and len(rows) > 0) or len(index.phrase_rows(name)) > 0


def _words(run: str) -> list[str]:
    """Words of two or more characters in a run the vocabulary does not cover (jieba, lazily)."""
    if run.isascii():
        return [run]
    from store.tokenize import cut_words  # loads jieba only for questions that need it

    return [w for w in cut_words(run) if len(w) >= 2]


def _chunks(text: str) -> list[tuple[int, str]]:
    out, pos = [], 0
    for part in text.split("|"):
        if part:
            out.append((pos, part))
        pos += len(part) + 1
    return out


def _uncovered(text: str, covered: list[bool]) -> str:
    return "".join(ch if not c else "|" for ch, c in zip(text, covered, strict=True))


def _entity_rows(index: SearchIndex, surfaces: tuple[str, ...]) -> np.ndarray:
    """Rows whose sentence names the entity (any of its surfaces)."""
    parts = []
    for surface in surfaces:
        key = surface.lower()
        rows = index.postings(key)
        parts.append(rows if rows is not None else index.phrase_rows(key))
    parts = [p for p in parts if p is not None and len(p)]
    return np.unique(np.concatenate(parts)) if parts else np.empty(0, dtype=np.int32)


def _following_rows(index: SearchIndex, rows: np.ndarray, steps: int = 2) -> np.ndarray:
    """Rows one or two sentences after `rows` in the same paragraph (the entity's context)."""
    out = []
    for k in range(1, steps + 1):
        nxt = rows + k
        nxt = nxt[nxt < index.size]
        src = nxt - k
        same = (index.doc_of_row[nxt] == index.doc_of_row[src]) & (index.para_of_row[nxt] == index.para_of_row[src])
        out.append(nxt[same])
    return np.unique(np.concatenate(out)) if out else np.empty(0, dtype=np.int32)


def _bm25_candidates(
    index: SearchIndex, pq: ParsedQuestion, limit: int
) -> tuple[np.ndarray, np.ndarray]:
    """Rows with the highest BM25 scores (tf = 1), with entity context counted, and their scores."""
    if not pq.terms or index.size == 0:
        return np.empty(0, dtype=np.int32), np.empty(0, dtype=np.float32)
    parts_rows, parts_scores = [], []
    entity_text = [s.lower() for surfaces in pq.entities.values() for s in surfaces]
    plain_postings = []
    for term in pq.terms:
        if term.entity is not None or any(term.text in e for e in entity_text):
            continue  # an entity counts once, below, whichever of its names a sentence uses
        rows = term.rows if term.rows is not None else index.postings(term.text)
        if rows is not None and len(rows):
            plain_postings.append((term, rows))
    # Very common terms (增长, 项目 in a large archive) barely move BM25 but cost the most to
    # add up; the rerank still counts them through coverage.
    common = max(COMMON_TERM_ROWS, int(index.size * 0.03))
    if any(len(rows) <= common for _t, rows in plain_postings) or pq.entities:
        plain_postings = [(t, rows) for t, rows in plain_postings if len(rows) <= common]
    for term, rows in plain_postings:
        parts_rows.append(rows)
        parts_scores.append(index.norm[rows] * np.float32(term.weight))
    doc_bonus: list[tuple[np.ndarray, float]] = []
    for canon, surfaces in pq.entities.items():
        weight = max(index.term_idf(s.lower()) for s in surfaces)
        named = _entity_rows(index, surfaces)
        if len(named):
            parts_rows.append(named)
            parts_scores.append(index.norm[named] * np.float32(weight))
            # A sentence right after one naming the entity is about it too (王台片区，… 。立足…33.95平方公里…).
            after = _following_rows(index, named)
            if len(after):
                parts_rows.append(after)
                parts_scores.append(index.norm[after] * np.float32(weight * 0.85))
        docs = index.documents_naming(canon, surfaces)
        if len(docs):
            doc_bonus.append((docs, weight * 0.8))
    if not parts_rows:
        return np.empty(0, dtype=np.int32), np.empty(0, dtype=np.float32)
    with index.score_lock:
        # A dense score buffer, reset after use: cheaper than sorting the union of postings.
        buf = index.score_buffer()
        for rows, scores in zip(parts_rows, parts_scores, strict=True):
            buf[rows] += scores  # rows are unique within one part
        touched = np.concatenate(parts_rows)
        for docs, bonus in doc_bonus:
            # Rows of a document whose title or region names the entity (once per row).
            flag = np.zeros(int(index.doc_of_row.max()) + 1 if index.size else 1, dtype=bool)
            flag[docs[docs < len(flag)]] = True
            hit = touched[flag[index.doc_of_row[touched]]]
            buf[hit] += np.float32(bonus)
        # Sentences with figures are what questions ask for: let them into the rerank first.
        values = buf[touched] * np.where(index.has_facts[touched], np.float32(1.15), np.float32(1.0))
        pool = min(len(touched), limit * 4)
        top = np.argpartition(-values, pool - 1)[:pool] if pool < len(touched) else np.arange(len(touched))
        candidates = np.unique(touched[top])
        cand_scores = buf[candidates] * np.where(index.has_facts[candidates], np.float32(1.15), np.float32(1.0))
        buf[touched] = 0.0
    order = np.argsort(-cand_scores, kind="stable")[:limit]
    return candidates[order].astype(np.int32), cand_scores[order].astype(np.float32)


def _question_years(pq: ParsedQuestion, doc_year: int | None) -> set[int]:
    years = set(pq.years)
    if doc_year is not None:
        years.update(doc_year + off for off in pq.relative_years)
    return years


def _fact_score(fact: FactView, pq: ParsedQuestion, qyears: set[int]) -> float:
    """How well one fact answers the question (kind, unit, metric words, target, period)."""
    wanted = [k for intent in pq.intents for k in _INTENT_KINDS.get(intent, ())]
    score = 0.0
    if wanted:
        if fact.kind == wanted[0]:
            score += 1.0
        elif fact.kind in wanted:
            score += 0.6
        else:
            # 什么时候 wants a date, 第几 a rank: another kind of figure does not answer it.
            score -= 0.3 if pq.intent == "amount" else 1.5
    if fact.kind == "date" and fact.date:
        score += 0.15 * fact.date.count("-")  # a day beats a month beats a year
        if pq.wants_day and fact.date.count("-") < 2:
            score -= 1.5  # 哪天 asks for a day: 2022年年底 does not answer it
    if pq.unit_hint and fact.unit:
        score += 0.6 if fact.unit == pq.unit_hint else -0.2
    if pq.target:
        score += 0.4 if fact.target else -0.1
    if qyears and fact.period is not None:
        score += 0.4 if fact.period in qyears else -0.3
    label = (fact.metric or "") + (fact.subject or "")
    if label:
        hits = sum(1 for t in pq.terms if len(t.text) > 1 and t.text in label.lower())
        score += min(hits, 3) * 0.25
    return score


@dataclass(slots=True)
class _Candidate:
    """A sentence under consideration, with what it covers of the question."""

    row: int
    coverage: float
    fact_score: float
    best: FactView | None
    facts: tuple[FactView, ...]
    context_rows: tuple[int, ...] = ()  # earlier sentences of the paragraph naming the entity
    missing_entity: bool = False  # a curated entity of the question is not in sentence, paragraph or document


@dataclass(slots=True)
class _QueryPlan:
    """Per-question values the candidate loop reads (computed once, not per sentence)."""

    plain: list[tuple[str, float]]
    entities: list[tuple[str, tuple[str, ...], float, bool]]  # canon, surfaces, weight, curated
    total: float
    qyears_by_doc: dict[int | None, set[int]]
    plain_total: float = 0.0


def _plan(index: SearchIndex, pq: ParsedQuestion) -> _QueryPlan:
    entity_terms = {s.lower() for surfaces in pq.entities.values() for s in surfaces}
    # Parts of an entity's name (西海, 海岸 of 西海岸新区) are judged with the entity, not again.
    plain = [
        (t.text, t.weight)
        for t in pq.terms
        if len(t.text) > 1 and t.entity is None and not any(t.text in e for e in entity_terms)
        # 目标/计划 in a question ask for a target fact; the sentence says 力争 or 将 instead.
        and not (pq.target and _TARGET_RE.fullmatch(t.text))
    ]
    curated = index.gazetteer.curated
    entities = []
    for canon, surfaces in pq.entities.items():
        lowered = tuple(dict.fromkeys(s.lower() for s in surfaces))
        weight = max((index.term_idf(s) for s in lowered), default=1.0)
        entities.append((canon, lowered, weight, canon in curated))
    plain_total = sum(w for _t, w in plain)
    total = plain_total + sum(e[2] for e in entities)
    return _QueryPlan(plain, entities, total, {}, plain_total)


def _row_features(index: SearchIndex, row: int, pq: ParsedQuestion, plan: _QueryPlan) -> _Candidate:
    """Coverage of the question, best fact and its score for one candidate sentence."""
    text = index.lower_text(row)
    doc = index.documents.get(int(index.doc_of_row[row]))
    matched = sum(w for t, w in plan.plain if t in text)
    entity_matched = 0.0
    context_rows: tuple[int, ...] = ()
    missing_entity = False
    previous: list[int] | None = None
    for _canon, lowered, weight, curated in plan.entities:
        if any(s in text for s in lowered):
            entity_matched += weight
            continue
        if previous is None:
            previous = _previous_rows(index, row, limit=2)
        # The nearest earlier sentence naming the entity starts the quoted context.
        hit = next(
            (
                i
                for i in range(len(previous) - 1, -1, -1)
                if any(s in index.lower_text(previous[i]) for s in lowered)
            ),
            None,
        )
        if hit is not None:
            # Named a sentence or two earlier in the same paragraph: the answer quotes from there.
            entity_matched += weight * 0.85
            if len(previous[hit:]) > len(context_rows):
                context_rows = tuple(previous[hit:])
        elif doc is not None and any(s in index.doc_text_lower(doc.id) for s in lowered):
            entity_matched += weight * 0.6
        elif curated:
            missing_entity = True
    coverage = (matched + entity_matched) / plan.total if plan.total > 0 else 0.0
    # What the question asks about (人口, 员工 …) must be there, not only who it is about.
    if plan.plain_total > 0 and matched / plan.plain_total < MIN_TOPIC_COVERAGE:
        missing_entity = True
    if coverage < MIN_COVERAGE or missing_entity:
        # Never shown: skip the fact scoring.
        return _Candidate(row, coverage, 0.0, None, (), context_rows, missing_entity)

    facts = index.fact_views(row) if row in index.facts else ()
    doc_year = doc.year if doc else None
    qyears = plan.qyears_by_doc.get(doc_year)
    if qyears is None:
        qyears = plan.qyears_by_doc[doc_year] = _question_years(pq, doc_year)
    best: FactView | None = None
    best_score = -1e9
    positions = [text.find(t) for t, _w in plan.plain if t in text] if facts else []
    for fact in facts:
        s = _fact_score(fact, pq, qyears)
        if positions:
            # A figure close to the question's words in the sentence is more likely its answer.
            s -= 0.002 * min(abs(p - fact.start) for p in positions)
        if s > best_score:
            best, best_score = fact, s
    return _Candidate(
        row, coverage, best_score if best is not None else 0.0, best, facts, context_rows, missing_entity
    )


def _previous_rows(index: SearchIndex, row: int, *, limit: int) -> list[int]:
    """Up to `limit` sentences before this one in its paragraph, in reading order."""
    rows = index.paragraph_rows(row)
    return list(range(max(rows.start, row - limit), row))


def answer(index: SearchIndex, question: str, *, limit: int = 5) -> list[Answer]:
    """Answer a question from the index: best first; empty when the evidence is weak."""
    if not question or not question.strip():
        return []
    pq = parse_question(question, index)
    if pq.unknown or not pq.terms:
        return []
    rows, bm25 = _bm25_candidates(index, pq, limit=RERANK_DEPTH)
    if len(rows) == 0:
        return []
    top_bm25 = float(bm25[0]) or 1.0
    plan = _plan(index, pq)
    wants_figure = any(_INTENT_KINDS.get(i) for i in pq.intents)
    scored = []
    for row, base in zip(rows.tolist(), bm25.tolist(), strict=True):
        cand = _row_features(index, row, pq, plan)
        score = 0.45 * (base / top_bm25) + 1.5 * cand.coverage + 0.35 * cand.fact_score
        if wants_figure and not cand.facts:
            score -= 0.5
        elif wants_figure and cand.fact_score <= 0:
            score -= 0.25  # it has figures, but none of the kind asked for
        if "list" in pq.intents:
            score += 0.1 * min(index.texts[row].count("、"), 5)
        scored.append((score, cand))
    scored.sort(key=lambda s: -s[0])

    answers: list[Answer] = []
    seen_texts: set[str] = set()
    for score, cand in scored:
        row, best, facts = cand.row, cand.best, cand.facts
        if cand.coverage < MIN_COVERAGE or score < MIN_SCORE or cand.missing_entity:
            continue
        if wants_figure and best is None and "list" not in pq.intents and "other" not in pq.intents:
            continue
        if answers and wants_figure and cand.fact_score <= 0 and "list" not in pq.intents:
            continue  # further answers must carry a figure of the kind asked for
        text = "".join(index.texts[r] for r in (*cand.context_rows, row))
        if text in seen_texts:
            continue
        seen_texts.add(text)
        doc = index.documents[int(index.doc_of_row[row])]
        ordered = (best, *[f for f in facts if f is not best]) if best is not None else facts
        answers.append(
            Answer(
                text=text, doc=doc.name, score=float(score), facts=tuple(ordered),
                sentence_id=int(index.sentence_ids[row]), document=doc,
                figure=best.span if best is not None and cand.fact_score > 0 and "list" not in pq.intents else None,
                intent=pq.intent,
            )
        )
        if len(answers) >= limit:
            break
    return answers


def suggest(index: SearchIndex, question: str, *, limit: int = 5) -> list[str]:
    """Known entity names closest to the question, for a helpful "no answer" reply."""
    from rapidfuzz import fuzz, process

    text = normalize_question(question)
    if not text:
        return []
    gaz = index.gazetteer
    known = {c for c, surfaces in gaz.surfaces.items() if any(_in_corpus(index, x.lower()) for x in surfaces)}
    choices = sorted(known | {r for d in index.documents.values() for r in d.regions})
    if not choices:
        return []
    found = process.extract(text, choices, scorer=fuzz.partial_ratio, limit=limit * 2, score_cutoff=50)
    names = [name for name, _score, _i in found]
    return list(dict.fromkeys(names))[:limit]
