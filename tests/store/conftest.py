"""Store fixtures: a seeded FactStore on a temporary database (tests/dbkit.py; shared per session)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from store import kernels as store_kernels
from store.service import FactStore
from tests.dbkit import database_url

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
EXTERNAL = ROOT.parent / "shared" / "corpus" / "external"


def load_jsonl(name: str) -> list[dict]:
    """Read one of the gold JSONL files."""
    with (DATA / name).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@pytest.fixture(scope="session")
def seeded_store(tmp_path_factory: pytest.TempPathFactory) -> FactStore:
    """A FactStore over a fresh database filled from seeds/."""
    return FactStore.open(database_url(tmp_path_factory.mktemp("seeded")))


@pytest.fixture(scope="session")
def external_store(tmp_path_factory: pytest.TempPathFactory) -> FactStore:
    """A FactStore with the seeds and the 14 external government work reports."""
    if not EXTERNAL.is_dir():
        pytest.skip("../shared/corpus/external is not present")
    store = FactStore.open(database_url(tmp_path_factory.mktemp("external")))
    reports = store.ingest_paths(sorted(EXTERNAL.glob("*.txt")))
    assert all(r.ok for r in reports), [r.reason for r in reports if not r.ok]
    return store


@pytest.fixture(params=["compiled", "plain"])
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with the kernels compiled (the session compiled them), then as the plain Python of their source."""
    if request.param == "plain":
        for kernel in store_kernels._KERNELS:
            monkeypatch.setattr(kernel, "fast", None)
        monkeypatch.setattr(store_kernels, "COMPILE_FROM_ELEMENTS", 10**12)
    return str(request.param)
