"""Settings from the environment and .env (pydantic-settings), plus cheap lookups for the CLI."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BeforeValidator, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.env import (
    DEFAULT_DATABASE_URL,
    ENV_FILE,
    LOG_LEVELS,
    database_url_from_env,
    token_configured,
)
from store import redaction

__all__ = ["ConfigError", "Settings", "database_url_from_env", "load_settings", "token_configured"]

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_API_FILE_URL = "https://api.telegram.org/file/bot"


_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")


class ConfigError(ValueError):
    """A setting has a bad value; the message is one line naming the key."""


def _parse_id_list(value: Any) -> Any:
    """Accept `1,2 3`, a JSON-ish `[1, 2]`, a single int or an empty string as a list of ids."""
    if isinstance(value, int):
        return (value,)
    if isinstance(value, str):
        parts = value.strip().strip("[]").replace(",", " ").replace("，", " ").split()
        for part in parts:
            if not part.lstrip("-").isdigit():
                raise ValueError(f"{part!r} is not a numeric Telegram id")
        return tuple(int(part) for part in parts)
    return value


# Plain comma-separated ids (ADMIN_IDS=1,2): pydantic-settings would otherwise expect JSON.
IdList = Annotated[tuple[int, ...], NoDecode, BeforeValidator(_parse_id_list)]


class Settings(BaseSettings):
    """Every configuration key; environment variables win over .env."""

    model_config = SettingsConfigDict(
        env_file=ENV_FILE,
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        frozen=True,
    )

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = DEFAULT_API_BASE_URL
    telegram_api_file_url: str = DEFAULT_API_FILE_URL
    database_url: str = DEFAULT_DATABASE_URL
    admin_ids: IdList = ()
    timezone: str = "Asia/Shanghai"
    log_level: str = "INFO"
    # Push (digests and announcements, delivery/).
    announce_chat_ids: IdList = ()
    announce_batch: int = 5  # more new documents at once than this: one summary post
    digest_time: str = "08:00"  # default for /subscribe without a time, in TIMEZONE
    digest_grace_minutes: float = 120.0  # a digest missed while down is sent this late at most
    push_rate: float = 28.0  # messages per second overall (Telegram allows about 30)
    push_group_per_minute: int = 20
    push_concurrency: int = 8
    push_max_attempts: int = 5
    # How updates arrive: `polling` (one process) or `webhook` (any number behind a load balancer).
    bot_mode: Literal["polling", "webhook"] = "polling"
    webhook_url: str | None = None  # public https URL Telegram posts to (setWebhook)
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = 8443
    webhook_path: str | None = None  # path served locally; default: the path of WEBHOOK_URL
    webhook_secret: SecretStr | None = None  # X-Telegram-Bot-Api-Secret-Token of every request
    # GET /healthz on this port (both modes); unset: no health endpoint.
    health_port: int | None = None
    health_listen: str = "127.0.0.1"
    # /healthz fails when the job queue has not ticked for this long: lower notices a stuck
    # event loop sooner, higher tolerates longer pauses of a loaded machine.
    health_max_tick_age: float = 30.0
    # SIGTERM: seconds to finish in-flight updates and sends before the process exits anyway
    # (keep below the supervisor's kill timeout: Docker 10 s, systemd TimeoutStopSec).
    shutdown_timeout: float = 8.0

    @field_validator("digest_time")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        hour, sep, minute = value.strip().partition(":")
        if not (sep and hour.isdigit() and minute.isdigit() and len(minute) == 2):
            raise ValueError(f"{value!r} is not a time like 08:00")
        if int(hour) > 23 or int(minute) > 59:
            raise ValueError(f"{value!r} is not a time of day")
        return f"{int(hour):02d}:{minute}"

    @field_validator(
        "push_rate", "push_group_per_minute", "push_concurrency", "push_max_attempts", "announce_batch",
        "health_max_tick_age", "shutdown_timeout",
    )
    @classmethod
    def _positive(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("must be greater than 0")
        return value

    @field_validator("digest_grace_minutes")
    @classmethod
    def _not_negative(cls, value: float) -> float:
        if value < 0:
            raise ValueError("must not be negative")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"{value!r} is not one of {', '.join(LOG_LEVELS)}")
        return level

    @field_validator("telegram_api_base_url", "telegram_api_file_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        value = value.strip()
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        # Never echo the value: it is a secret even when malformed.
        if value is not None and (":" not in value.get_secret_value() or " " in value.get_secret_value()):
            raise ValueError("does not look like a BotFather token (expected 123456:ABC…)")
        return value

    @field_validator("webhook_port", "health_port")
    @classmethod
    def _port(cls, value: int | None) -> int | None:
        if value is not None and not 0 < value < 65536:
            raise ValueError(f"{value} is not a TCP port (1–65535)")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value is not None and not value.strip().startswith(("https://", "http://")):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value.strip() if value is not None else None

    @field_validator("webhook_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram's rule for secret_token; never echo the value.
        if value is not None and not _SECRET_RE.fullmatch(value.get_secret_value()):
            raise ValueError("must be 1–256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @model_validator(mode="after")
    def _webhook_complete(self) -> Settings:
        if self.bot_mode == "webhook":
            if self.webhook_url is None:
                raise ValueError("WEBHOOK_URL: required when BOT_MODE=webhook")
            if self.webhook_secret is None:
                raise ValueError("WEBHOOK_SECRET: required when BOT_MODE=webhook")
        return self

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if "://" not in value:
            raise ValueError(f"{value!r} is not a database URL (e.g. {DEFAULT_DATABASE_URL})")
        return value

    @property
    def token(self) -> str | None:
        """Return the bot token in clear, or None when not configured."""
        return self.telegram_bot_token.get_secret_value() if self.telegram_bot_token else None

    @property
    def webhook_url_path(self) -> str:
        """The path the local webhook server answers on (WEBHOOK_PATH, else WEBHOOK_URL's path)."""
        path = self.webhook_path if self.webhook_path is not None else urlsplit(self.webhook_url or "").path
        return path.strip("/")


def _one_line(error: ValidationError) -> str:
    """Turn the first validation error into `配置错误 KEY: reason`."""
    first = error.errors(include_url=False, include_input=False)[0]
    if not first["loc"]:  # a rule over several keys names its key itself
        return f"配置错误 {str(first['msg']).removeprefix('Value error, ')}"
    key = str(first["loc"][0]).upper() if first["loc"] else "?"
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"配置错误 {key}: {message}"


def load_settings(env_file: str | Path | None = ENV_FILE, **overrides: Any) -> Settings:
    """Read settings from the environment and `env_file`; raise ConfigError naming a bad key."""
    try:
        return Settings(_env_file=env_file, **overrides)  # type: ignore[call-arg]
    except ValidationError as exc:
        raise ConfigError(_one_line(exc)) from None


class TokenRedactingFilter(logging.Filter):
    """Replace the bot token, in any case or encoding, in every log record (store/redaction.py)."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self._token = token
        redaction.protect(token)

    def redact(self, text: str) -> str:
        """Return `text` with the token replaced."""
        return redaction.redact(text)

    def filter(self, record: logging.LogRecord) -> bool:
        """Render the message (and traceback) now, with the token removed."""
        if not self._token:
            return True
        message = record.getMessage()
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def configure_logging(settings: Settings) -> None:
    """Apply LOG_LEVEL, quiet chatty libraries and redact the token from every handler."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    root.setLevel(settings.log_level)
    # httpx logs every request URL at INFO, and the URL contains the token.
    for name in ("httpx", "httpcore", "apscheduler"):
        logging.getLogger(name).setLevel(logging.WARNING)
    token = settings.token
    if token:
        for handler in root.handlers:
            if not any(isinstance(f, TokenRedactingFilter) for f in handler.filters):
                handler.addFilter(TokenRedactingFilter(token))
