"""Issue E 19: the bot token is redacted in every case and encoding: logs, database, replies."""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import quote, unquote

from sqlmodel import Session, select

from bot.config import TokenRedactingFilter
from delivery.config import PushConfig
from delivery.engine import Push
from render import texts
from store import redaction
from store import subscriptions as subs
from store.service import FactStore
from tests.bot.pushkit import FakeClock, fresh_db, make_bot, no_sleep
from tests.conftest import TEST_TOKEN, BotHarness
from tests.fake_bot_api import FakeBotApi, parse_html

SECRET = TEST_TOKEN.partition(":")[2]
ENCODED = quote(TEST_TOKEN, safe="")
FORMS = {
    "as is": TEST_TOKEN,
    "lower": TEST_TOKEN.lower(),
    "upper": TEST_TOKEN.upper(),
    "percent": ENCODED,
    "percent lower hex": ENCODED.lower(),
    "every byte": "".join(f"%{b:02X}" for b in TEST_TOKEN.encode()),
    "twice": quote(ENCODED, safe=""),
    "secret half": SECRET.swapcase(),
}


def leaks(text: str) -> bool:
    """True when any spelling of the token's secret survives in `text`."""
    return SECRET.lower() in unquote(unquote(text)).lower()


def test_every_spelling_of_the_token_is_redacted_in_a_url_path() -> None:
    redaction.protect(TEST_TOKEN)
    for name, form in FORMS.items():
        text = f"Bad Request: wrong file url http://127.0.0.1:1/file/bot{form}/documents/a.txt"
        out = redaction.redact(text)
        assert not leaks(out), (name, out)
        assert out.endswith("/documents/a.txt") and "http://127.0.0.1:1/file/bot" in out
    assert redaction.redact("bot 7000000001 said hello") == "bot 7000000001 said hello"


def test_log_filter_redacts_lower_cased_and_percent_encoded_tokens() -> None:
    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    handler = Collect()
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.addFilter(TokenRedactingFilter(TEST_TOKEN))
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.error("bad request: not found /bot%s/sendmessage", TEST_TOKEN.lower())
        logger.warning("GET %s", f"http://x/file/bot{ENCODED}/documents/a.txt")
        try:
            raise RuntimeError(f"Bad Request: /BOT{TEST_TOKEN.upper()}/GETFILE")
        except RuntimeError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    assert len(records) == 3
    assert not any(leaks(r) for r in records), records


async def test_delivery_error_columns_never_hold_the_token(tmp_path: Path) -> None:
    async with FakeBotApi() as api:
        engine = FactStore.open(fresh_db(tmp_path)).engine
        push = Push(
            engine=engine, bot=await make_bot(api), clock=FakeClock(subs._now()), sleep=no_sleep,
            config=PushConfig(announce_chat_ids=(-1001111111111,), max_attempts=1),
        )
        # Telegram (and PTB, which capitalises the first letter) echo the path lower-cased.
        api.fail_next("sendMessage", 400, f"Bad Request: wrong url /bot{TEST_TOKEN.lower()}/sendmessage")
        report = await push.announce_text("公告", key="leak")
        await push.bot.shutdown()
    assert report.outcomes[subs.FAILED] == 1
    with Session(engine) as session:
        (ann,) = session.exec(select(subs.Announcement)).all()
    assert ann.error and "wrong url" in ann.error.lower()
    assert not leaks(ann.error), ann.error


async def test_replies_never_carry_the_token(bot: BotHarness) -> None:
    """An upload refusal echoes the file name; a name spelling the token comes back redacted."""
    name = f"{TEST_TOKEN.lower()}.txt"
    update = bot.api.make_document(bytes(range(256)) * 20, file_name=name, user_id=42)
    call = await bot.exchange(update, predicate=lambda c: c.chat_id == 42)
    plain = parse_html(call.text)
    assert plain.startswith("没有收录") and "<TOKEN>.txt" in plain, plain
    assert not leaks(call.text)
    assert texts.UPLOAD_REFUSED.split("{")[0] in plain
