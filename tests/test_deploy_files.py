"""Operator files (Dockerfile, compose.yaml, deploy/): they parse and name only real settings."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

import pytest

from bot.config import Settings

ROOT = Path(__file__).resolve().parents[1]
# Keys the files may set that are not Settings fields (read by other parts or other programs).
OTHER_KEYS = {"INDEX_DIR", "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED", "PIP_NO_CACHE_DIR",
              "PIP_DISABLE_PIP_VERSION_CHECK", "MPLCONFIGDIR"}
SETTINGS = {name.upper() for name in Settings.model_fields}


def test_dockerfile_runs_as_non_root_with_the_postgres_extra() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert text.startswith("#") and "\nFROM python:3.11-slim\n" in text
    users = re.findall(r"^USER (\S+)$", text, re.M)
    assert users and users[-1] not in ("root", "0")
    assert 'pip install -e ".[postgres]"' in text
    env_keys = set(re.findall(r"^\s*(?:ENV\s+)?([A-Z_]+)=", text, re.M))
    assert env_keys - OTHER_KEYS <= SETTINGS, env_keys - OTHER_KEYS - SETTINGS
    assert "/healthz" in text and 'ENTRYPOINT ["python", "-m", "bot"]' in text


def test_systemd_unit_stops_with_sigterm_after_the_drain() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(ROOT / "deploy" / "devnews-bot.service", encoding="utf-8")
    service = unit["Service"]
    assert service["ExecStart"].endswith("python -m bot run")
    assert service["KillSignal"] == "SIGTERM"
    timeout = float(service["TimeoutStopSec"])
    assert timeout > Settings.model_fields["shutdown_timeout"].default
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_compose_file() -> None:
    yaml = pytest.importorskip("yaml")
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"db", "migrate", "bot", "proxy"} <= set(services)
    assert services["db"]["image"] == "postgres:15"
    assert services["migrate"]["command"] == ["migrate"]
    bot = services["bot"]
    assert bot["deploy"]["replicas"] == 2
    assert bot["environment"]["BOT_MODE"] == "webhook"
    assert set(bot["environment"]) - OTHER_KEYS <= SETTINGS
    assert bot["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in services["proxy"]["volumes"]
