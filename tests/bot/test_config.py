"""Settings: .env and environment, one-line errors naming the key, the token kept secret."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import (
    ConfigError,
    TokenRedactingFilter,
    configure_logging,
    database_url_from_env,
    load_settings,
    token_configured,
)

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456:AAE-secret-token-value"
KEYS = (
    "TELEGRAM_BOT_TOKEN", "TELEGRAM_API_BASE_URL", "TELEGRAM_API_FILE_URL", "DATABASE_URL",
    "ADMIN_IDS", "TIMEZONE", "LOG_LEVEL",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No configuration from the developer's shell or .env leaks into these tests."""
    for key in KEYS:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_defaults() -> None:
    settings = load_settings()
    assert settings.token is None
    assert settings.telegram_api_base_url == "https://api.telegram.org/bot"
    assert settings.telegram_api_file_url == "https://api.telegram.org/file/bot"
    assert settings.database_url == "sqlite:///data/bot.db"
    assert settings.admin_ids == ()
    assert settings.timezone == "Asia/Shanghai"
    assert settings.log_level == "INFO"


def test_dotenv_is_read_and_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text(
        f'TELEGRAM_BOT_TOKEN="{TOKEN}"\nADMIN_IDS=1, 2,3\nTIMEZONE=Asia/Shanghai\n'
        "TELEGRAM_API_BASE_URL=http://127.0.0.1:8081/bot\nLOG_LEVEL=debug\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("TIMEZONE", "Europe/Berlin")
    settings = load_settings()
    assert settings.token == TOKEN
    assert settings.admin_ids == (1, 2, 3)
    assert settings.timezone == "Europe/Berlin"
    assert settings.telegram_api_base_url == "http://127.0.0.1:8081/bot"
    assert settings.log_level == "DEBUG"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("TIMEZONE", "Mars/Base", "配置错误 TIMEZONE: unknown time zone 'Mars/Base'"),
        ("ADMIN_IDS", "12,abc", "配置错误 ADMIN_IDS: 'abc' is not a numeric Telegram id"),
        ("LOG_LEVEL", "loud", "配置错误 LOG_LEVEL: 'loud' is not one of CRITICAL, ERROR, WARNING, INFO, DEBUG"),
        ("TELEGRAM_API_BASE_URL", "ftp://x", "配置错误 TELEGRAM_API_BASE_URL: 'ftp://x' is not an http(s) URL"),
        ("TELEGRAM_API_FILE_URL", "nope", "配置错误 TELEGRAM_API_FILE_URL: 'nope' is not an http(s) URL"),
        ("DATABASE_URL", "bot.db", "配置错误 DATABASE_URL: 'bot.db' is not a database URL (e.g. sqlite:///data/bot.db)"),
    ],
)
def test_bad_value_is_one_line_naming_the_key(
    monkeypatch: pytest.MonkeyPatch, key: str, value: str, message: str
) -> None:
    monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert str(info.value) == message
    assert "\n" not in str(info.value)


def test_a_malformed_token_is_named_but_never_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "not a token")
    with pytest.raises(ConfigError, match=r"^配置错误 TELEGRAM_BOT_TOKEN: ") as info:
        load_settings()
    assert "not a token" not in str(info.value)


def test_token_is_secret_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    settings = load_settings()
    assert TOKEN not in repr(settings) and TOKEN not in str(settings)
    assert TOKEN not in str(settings.model_dump())


def test_cheap_lookups_for_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert database_url_from_env() == "sqlite:///data/bot.db"
    assert token_configured() is False
    (tmp_path / ".env").write_text(
        "# comment\nexport DATABASE_URL='sqlite:///x.db'  \nTELEGRAM_BOT_TOKEN=\n", encoding="utf-8"
    )
    assert database_url_from_env() == "sqlite:///x.db"
    assert token_configured() is False  # empty means not configured
    monkeypatch.setenv("DATABASE_URL", "sqlite:///y.db")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    assert database_url_from_env() == "sqlite:///y.db"
    assert token_configured() is True


def test_cheap_lookups_do_not_import_telegram() -> None:
    code = (
        "import sys, bot.config\n"
        "bot.config.database_url_from_env(); bot.config.token_configured()\n"
        "assert 'telegram' not in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_redacting_filter_hides_the_token_in_messages_args_and_tracebacks() -> None:
    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    handler = Collect()
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.addFilter(TokenRedactingFilter(TOKEN))
    logger = logging.getLogger("test.redact")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("POST https://api.telegram.org/bot%s/getMe", TOKEN)
        try:
            raise RuntimeError(f"The token `{TOKEN}` was rejected by the server.")
        except RuntimeError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    text = "\n".join(records)
    assert TOKEN not in text
    assert "bot<TOKEN>/getMe" in text and "The token `<TOKEN>`" in text


def test_configure_logging_quiets_httpx_and_adds_the_filter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    root = logging.getLogger()
    handler = logging.StreamHandler()
    root.addHandler(handler)
    level = root.level
    try:
        configure_logging(load_settings())
        assert logging.getLogger("httpx").level == logging.WARNING
        assert any(isinstance(f, TokenRedactingFilter) for f in handler.filters)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def test_every_setting_is_documented_in_env_example() -> None:
    from bot.config import Settings

    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    documented = {line.split("=", 1)[0] for line in example.splitlines() if "=" in line and not line.startswith("#")}
    assert {name.upper() for name in Settings.model_fields} == documented


def test_env_example_loads_as_is(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text((ROOT / ".env.example").read_text(encoding="utf-8"), encoding="utf-8")
    settings = load_settings()
    assert settings.token is None and settings.timezone == "Asia/Shanghai"
