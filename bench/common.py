"""Shared helpers of the benchmarks: paths, sizes, benchmark databases, statistics, tables, machine info."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import corpus

log = logging.getLogger(__name__)

ROOT = corpus.ROOT
OUT_DIR = ROOT / "bench" / "out"
QUESTIONS_FILE = ROOT / "tests" / "data" / "questions.jsonl"
DEFAULT_SEED = 1

# Named sizes; any integer (article count) is accepted too.
SIZES: dict[str, int] = {"seeds": 0, "1k": 1000, "10k": 10_000}

# Files whose change makes a stored benchmark database stale (ingestion, extraction, lexicon).
_STORE_CODE_GLOBS = ("store/*.py", "store/ingest/*.py", "seeds/*.txt", "seeds/lexicon/*")


def parse_sizes(spec: str) -> list[tuple[str, int]]:
    """Parse 'seeds,1k,10k' (or article counts such as '500') into (label, articles) pairs."""
    out: list[tuple[str, int]] = []
    for raw in spec.split(","):
        label = raw.strip()
        if not label:
            continue
        if label in SIZES:
            out.append((label, SIZES[label]))
        elif label.lower().endswith("k") and label[:-1].isdigit():
            out.append((label.lower(), int(label[:-1]) * 1000))
        elif label.isdigit():
            out.append((label, int(label)))
        else:
            raise ValueError(f"unknown size {label!r} (use seeds, 1k, 10k or an article count)")
    return out


def corpus_dir(articles: int, seed: int = DEFAULT_SEED) -> Path:
    """Folder of the synthetic archive of a given size and seed."""
    return OUT_DIR / f"corpus_{articles}_s{seed}"


def db_path(label: str) -> Path:
    """SQLite file of the benchmark database of one size."""
    return OUT_DIR / f"db_{label}.db"


def db_url(label: str) -> str:
    """DATABASE_URL of the benchmark database of one size (absolute, so any cwd works)."""
    return f"sqlite:///{db_path(label).resolve()}"


def load_questions(path: Path = QUESTIONS_FILE) -> list[dict[str, Any]]:
    """The public gold questions (id, q, expect | expect_none)."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def store_code_hash() -> str:
    """Hash of the store code and seed data a benchmark database was built with."""
    h = hashlib.blake2b(digest_size=8)
    for pattern in _STORE_CODE_GLOBS:
        for p in sorted(ROOT.glob(pattern)):
            h.update(p.name.encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def bench_env(url: str) -> dict[str, str]:
    """Environment for a child process: the given DATABASE_URL, no Telegram token, quiet logs."""
    env = dict(os.environ)
    env["DATABASE_URL"] = url
    env.pop("TELEGRAM_BOT_TOKEN", None)
    env.setdefault("LOG_LEVEL", "WARNING")
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def _count_documents(path: Path) -> int:
    try:
        with sqlite3.connect(path) as conn:
            return int(conn.execute("SELECT count(*) FROM document").fetchone()[0])
    except sqlite3.Error:
        return -1


def count_sentences(path: Path) -> int:
    """Sentences the index is built from (body and headings), or all sentences on an older schema."""
    try:
        with sqlite3.connect(path) as conn:
            try:
                q = "SELECT count(*) FROM sentence WHERE kind IN ('body', 'heading')"
                return int(conn.execute(q).fetchone()[0])
            except sqlite3.OperationalError:
                return int(conn.execute("SELECT count(*) FROM sentence").fetchone()[0])
    except sqlite3.Error:
        return -1


@dataclass(frozen=True, slots=True)
class BenchDb:
    """A benchmark database: seeds plus `articles` synthetic articles."""

    label: str
    articles: int
    url: str
    path: Path
    documents: int
    sentences: int
    corpus_chars: int
    build_seconds: float | None  # None when an existing database was reused
    stale: bool  # built with other store code than the current one

    def to_json(self) -> dict[str, Any]:
        """JSON-ready description."""
        return {
            "label": self.label,
            "articles": self.articles,
            "url": self.url,
            "documents": self.documents,
            "sentences": self.sentences,
            "corpus_chars": self.corpus_chars,
            "build_seconds": self.build_seconds,
            "stale": self.stale,
        }


def _remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", ".json"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    snapshot = Path(str(path) + ".index")  # the store's index snapshot beside the database
    if snapshot.is_dir():
        shutil.rmtree(snapshot)


def build_jobs() -> int:
    """Concurrent `bot ingest` processes for building a database (BENCH_BUILD_JOBS, default 2)."""
    try:
        return max(1, int(os.environ.get("BENCH_BUILD_JOBS", "2")))
    except ValueError:
        return 2


def _ingest_commands(files: Sequence[Path], jobs: int) -> list[list[str]]:
    """`bot ingest` command lines over disjoint shares of the files (relative paths keep them short)."""
    rel = [str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else str(p) for p in files]
    return [[sys.executable, "-m", "bot", "ingest", *rel[i::jobs]] for i in range(jobs) if rel[i::jobs]]


def ensure_db(label: str, articles: int, *, seed: int = DEFAULT_SEED, rebuild: bool = False,
              jobs: int | None = None) -> BenchDb:
    """Return the benchmark database of one size, building it (seeds + archive via `python -m bot ingest`) if needed.

    An existing database of the right size is reused (the brief asks for it: the 10k ingest
    takes minutes); it is flagged `stale` when the store code changed since it was built.
    The archive is ingested by `jobs` concurrent `bot ingest` processes over disjoint shares
    (SQLite WAL serialises their short per-document transactions; tokenising runs in parallel).
    """
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = db_path(label)
    marker = Path(str(path) + ".json")
    info = corpus.ensure_corpus(corpus_dir(articles, seed), articles, seed) if articles else None
    seed_count = len(list((ROOT / "seeds").glob("*.txt")))
    expected_docs = seed_count + articles
    code = store_code_hash()
    if not rebuild and path.exists() and marker.exists():
        meta = json.loads(marker.read_text(encoding="utf-8"))
        same_corpus = meta.get("corpus") == (list(info.identity()) if info else None)
        if same_corpus and _count_documents(path) == expected_docs:
            stale = meta.get("code") != code
            if stale:
                log.warning("reusing %s built with older store code (pass --rebuild to refresh)", path.name)
            return BenchDb(label, articles, db_url(label), path, expected_docs, count_sentences(path),
                           info.chars if info else 0, None, stale)
    _remove_db(path)
    url = db_url(label)
    env = bench_env(url)
    log_path = OUT_DIR / f"ingest_{label}.log"
    t0 = time.perf_counter()
    with log_path.open("w", encoding="utf-8") as logf:
        # `sources` opens the store, which fills an empty database from seeds/.
        subprocess.run([sys.executable, "-m", "bot", "sources"], env=env, cwd=ROOT, stdout=logf,
                       stderr=subprocess.STDOUT, check=True)
        if info is not None:
            files = corpus.article_paths(corpus_dir(articles, seed))
            procs = [subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=logf, stderr=subprocess.STDOUT)
                     for cmd in _ingest_commands(files, jobs or build_jobs())]
            codes = [p.wait() for p in procs]
            if any(codes):
                raise RuntimeError(f"bot ingest failed for {label} (exit codes {codes}, see {log_path})")
    seconds = time.perf_counter() - t0
    docs = _count_documents(path)
    if docs != expected_docs:
        raise RuntimeError(f"{path.name}: {docs} documents after ingestion, expected {expected_docs} (see {log_path})")
    marker.write_text(json.dumps({"corpus": list(info.identity()) if info else None, "code": code,
                                  "seconds": round(seconds, 2)}, ensure_ascii=False), encoding="utf-8")
    return BenchDb(label, articles, url, path, docs, count_sentences(path), info.chars if info else 0,
                   round(seconds, 2), False)


def send_counts(sent: Sequence[Any], chat_ids: Iterable[int], statuses: Iterable[int],
                elapsed: float, server_rate: float) -> dict[str, Any]:
    """What a fan-out bench reports of the fake server's sends: served, missing, duplicates, 429s, rates."""
    per_chat = Counter(c.chat_id for c in sent)
    first, last = (sent[0].at, sent[-1].at) if sent else (0.0, 0.0)
    return {
        "sent": len(sent),
        "chats_served": len(per_chat),
        "missing": len(set(chat_ids) - set(per_chat)),
        "duplicates": sum(n - 1 for n in per_chat.values() if n > 1),
        "http_429": Counter(statuses).get(429, 0),
        "elapsed_s": round(elapsed, 2),
        "rate_per_s": round(len(sent) / elapsed, 2) if elapsed > 0 else 0.0,
        "steady_rate_per_s": round((len(sent) - 1) / (last - first), 2) if last > first else None,
        "share_of_limit": round(len(sent) / elapsed / server_rate, 4) if elapsed > 0 else 0.0,
    }


def percentile(values: Sequence[float], p: float) -> float:
    """Linear-interpolated percentile (p in 0..100) of a non-empty sequence."""
    xs = sorted(values)
    if not xs:
        raise ValueError("no values")
    k = (len(xs) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def median(values: Sequence[float]) -> float:
    """Median of a non-empty sequence."""
    return percentile(values, 50.0)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _mem_total_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def machine_info() -> dict[str, Any]:
    """The machine and software a result was measured on, with the current load average."""
    try:
        import jieba

        jieba_version = getattr(jieba, "__version__", "?")
    except ImportError:
        jieba_version = None
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "mem_gib": _mem_total_gib(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "jieba": jieba_version,
        "platform": platform.platform(),
        "loadavg": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
    }


def machine_line(info: dict[str, Any] | None = None) -> str:
    """One-line description of the machine for tables."""
    m = info or machine_info()
    return (f"{m['cpu']}, {m['cores']} cores, {m['mem_gib']} GiB RAM, Python {m['python']}, "
            f"SQLite {m['sqlite']}, jieba {m['jieba']}; load avg {m['loadavg']}")


def write_result(name: str, data: dict[str, Any]) -> Path:
    """Write one benchmark's result as bench/out/<name>.json (with machine info and time)."""
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    payload = {"benchmark": name, "when": time.strftime("%Y-%m-%d %H:%M:%S"),
               "command": " ".join([Path(sys.executable).name, *sys.argv]), "machine": machine_info(), **data}
    path = OUT_DIR / f"{name}.json"
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A Markdown table."""
    def cell(v: Any) -> str:
        return "" if v is None else str(v)

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def fmt_ms(seconds: float | None, digits: int = 2) -> str:
    """Seconds as milliseconds text."""
    return "—" if seconds is None else f"{seconds * 1000:.{digits}f}"


def print_profile(path: Path, limit: int = 30) -> None:
    """Print the top functions of a cProfile dump by cumulative and by own time."""
    import pstats

    stats = pstats.Stats(str(path), stream=sys.stdout)
    stats.strip_dirs().sort_stats("cumulative").print_stats(limit)
    stats.sort_stats("tottime").print_stats(limit)


def setup_logging(verbose: bool = False) -> None:
    """Console logging for the benchmark commands."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # The store logs every ingested file at INFO; the benchmarks report totals instead.
    logging.getLogger("store").setLevel(logging.WARNING)
