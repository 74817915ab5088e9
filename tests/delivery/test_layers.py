"""delivery/ sits between handlers and store: it never imports handlers or bot, and store never imports it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_architecture import ROOT, _imports


@pytest.mark.parametrize("path", sorted((ROOT / "delivery").rglob("*.py")), ids=lambda p: p.name)
def test_delivery_never_imports_handlers_or_bot(path: Path) -> None:
    bad = [n for n in _imports(path) if n.split(".")[0] in ("handlers", "bot")]
    assert not bad, f"{path.name} imports {bad}"


@pytest.mark.parametrize("path", sorted((ROOT / "store").rglob("*.py")), ids=lambda p: p.name)
def test_store_never_imports_delivery(path: Path) -> None:
    bad = [n for n in _imports(path) if n.split(".")[0] == "delivery"]
    assert not bad, f"{path.name} imports {bad}"
