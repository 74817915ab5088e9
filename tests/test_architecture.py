"""Dependency rule and import hygiene: bot → handlers → delivery → render → store, checked on imports."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN_FOR_STORE = ("telegram", "handlers", "bot", "render", "delivery")


def _imports(path: Path) -> list[str]:
    """Every module a file imports (anywhere in it, also inside functions and TYPE_CHECKING)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _violations(path: Path, forbidden: tuple[str, ...]) -> list[str]:
    """Imports of `path` that are, or live under, one of the `forbidden` modules."""
    return sorted(
        {n for n in _imports(path) for f in forbidden if n == f or n.startswith(f + ".")}
    )


@pytest.mark.parametrize("path", sorted((ROOT / "store").rglob("*.py")), ids=lambda p: p.name)
def test_store_never_imports_telegram_side(path: Path) -> None:
    bad = _violations(path, FORBIDDEN_FOR_STORE)
    assert not bad, f"{path.name} imports {bad}"


# render/ is pure: store values in, bytes or text out; no Telegram, no network, no database.
# Store values (store.views, store.digest, store.series) are fine; sessions and engines are not.
FORBIDDEN_FOR_RENDER = (
    "telegram", "handlers", "bot", "delivery", "socket", "urllib", "http", "requests", "httpx",
    "aiohttp", "sqlite3", "sqlalchemy", "sqlmodel", "store.db", "store.service", "store.models",
    "store.subscriptions", "store.feeds",
)


@pytest.mark.parametrize("path", sorted((ROOT / "render").rglob("*.py")), ids=lambda p: p.name)
def test_render_is_pure(path: Path) -> None:
    bad = _violations(path, FORBIDDEN_FOR_RENDER)
    assert not bad, f"{path.name} imports {bad}"


# Handlers parse, call and render: data access goes through store services (store.chats …).
FORBIDDEN_FOR_HANDLERS = ("bot", "sqlalchemy", "sqlmodel", "sqlite3", "store.db")
SESSION_WORDS = frozenset({"session_scope", "Session", "sessionmaker", "create_engine", "engine", "session"})


def _session_use(path: Path) -> list[str]:
    """Names, attributes and keyword arguments of `path` that open or pass a database session."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Name) and node.id in SESSION_WORDS:
            found.add(node.id)
        elif isinstance(node, ast.Attribute) and node.attr in SESSION_WORDS:
            found.add("." + node.attr)
        elif isinstance(node, ast.keyword) and node.arg in SESSION_WORDS:
            found.add(f"{node.arg}=")
        elif isinstance(node, ast.arg) and node.arg in SESSION_WORDS:
            found.add(f"parameter {node.arg}")
    return sorted(found)


@pytest.mark.parametrize("path", sorted((ROOT / "handlers").rglob("*.py")), ids=lambda p: p.name)
def test_handlers_open_no_sessions(path: Path) -> None:
    bad = _violations(path, FORBIDDEN_FOR_HANDLERS) + _session_use(path)
    assert not bad, f"{path.name} reaches the database itself: {bad}"


# Telegram formatting in a string constant (a regex's named group `(?P<pre>` is not a tag).
_TELEGRAM_TAG = re.compile(r"(?<!\?P)<(?:/?(?:b|i|u|s|code|pre|blockquote)>|a href=|tg-spoiler)")


def _html_in(path: Path) -> list[str]:
    """String constants with Telegram HTML tags, and calls of html.escape, in `path`."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and _TELEGRAM_TAG.search(node.value):
            found.append(node.value[:60])
        elif isinstance(node, ast.Attribute) and node.attr == "escape" and isinstance(node.value, ast.Name) \
                and node.value.id == "html":
            found.append("html.escape")
    return found


@pytest.mark.parametrize("path", sorted((ROOT / "store").rglob("*.py")), ids=lambda p: p.name)
def test_store_renders_no_html(path: Path) -> None:
    """Messages are rendered in render/; store/ hands out plain values."""
    bad = _html_in(path)
    assert not bad, f"{path.name} builds Telegram HTML: {bad}"


@pytest.mark.parametrize("path", sorted((ROOT / "delivery").rglob("*.py")), ids=lambda p: p.name)
def test_delivery_never_imports_handlers_or_bot(path: Path) -> None:
    bad = _violations(path, ("handlers", "bot"))
    assert not bad, f"{path.name} imports {bad}"


def test_the_checker_catches_a_forbidden_import(tmp_path: Path) -> None:
    """The rules above can fail: a deliberately bad module is caught, in every import form."""
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import telegram.constants\n"
        "from render import digest\n"
        "def f():\n    from store.db import session_scope\n",
        encoding="utf-8",
    )
    assert _violations(bad, FORBIDDEN_FOR_STORE) == ["render", "render.digest", "telegram.constants"]
    assert _violations(bad, FORBIDDEN_FOR_RENDER) == [
        "store.db", "store.db.session_scope", "telegram.constants",
    ]
    handler = tmp_path / "handler.py"
    handler.write_text(
        "async def h(store):\n"
        "    with session_scope(store.engine) as s:\n"
        "        subs.deactivate(session=s, chat_id=1)\n",
        encoding="utf-8",
    )
    assert _session_use(handler) == [".engine", "session=", "session_scope"]
    rendering = tmp_path / "rendering.py"
    rendering.write_text(
        "import html\nA = '<b>{x}</b>'\nB = html.escape('x')\nC = r'(?P<pre>\\d+)'\n", encoding="utf-8"
    )
    assert _html_in(rendering) == ["<b>{x}</b>", "html.escape"]
    good = tmp_path / "good.py"
    good.write_text("from store.views import Answer\nimport rendering_helpers\n", encoding="utf-8")
    assert _violations(good, FORBIDDEN_FOR_RENDER) == []
    assert _violations(good, FORBIDDEN_FOR_STORE) == []
    assert _session_use(good) == []


MIGRATIONS_ENV = ROOT / "store" / "migrations" / "env.py"


def test_importing_every_module_has_no_side_effects(tmp_path: Path) -> None:
    """Import all modules in a clean process: no DB file, no jieba loaded, no .env read."""
    modules = [
        ".".join(p.relative_to(ROOT).with_suffix("").parts)
        for pkg in ("store", "render", "delivery", "handlers", "bot")
        for p in sorted((ROOT / pkg).rglob("*.py"))
        if p.name != "__main__.py" and p != MIGRATIONS_ENV  # env.py is Alembic's script, run by it
    ]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
        "assert 'jieba' not in sys.modules or not getattr(sys.modules['jieba'], 'dt').initialized, 'jieba initialised at import'\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported at import'\n"
        "import store.tokenize as t\n"
        "assert t._tokenizer is None\n"
    )
    (tmp_path / ".env").write_text("TIMEZONE=Not/AZone\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert not list(tmp_path.rglob("*.db")), "a database was created at import"


def test_store_cli_path_does_not_import_telegram() -> None:
    """The answering path (store + cli) loads without python-telegram-bot."""
    code = (
        "import sys, bot.cli, store.service, store.answering, store.index\n"
        "assert 'telegram' not in sys.modules, sorted(m for m in sys.modules if m.startswith('telegram'))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
