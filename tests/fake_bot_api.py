"""In-process fake Telegram Bot API server on 127.0.0.1 (aiohttp) for tests and benchmarks.

The real PTB `Application` talks to it over HTTP through `TELEGRAM_API_BASE_URL`
(`FakeBotApi.base_url`). It answers with the real Bot API envelope
(`{"ok": true, "result": ...}` / `{"ok": false, "error_code", "description", "parameters"}`),
records every call, validates what Telegram validates (HTML entities, 4096 characters,
64-byte callback data, 50 inline results) and injects faults on request
(blocked chats, 429 retry_after, chat migration, a global rate limit).

Calls are recorded when they are answered (so an open getUpdates long poll is not in `calls()`
yet; use `wait_polling()` to know the bot is ready). `Call.at` is when the request arrived.

Usage::

    async with FakeBotApi() as api:
        app = build_application(settings_with(base_url=api.base_url), services)
        ...
        mark = api.mark()
        api.push(api.make_private_text("/start"))
        call = await api.wait_for("sendMessage", since=mark)
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import html
import itertools
import json
import re
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

MAX_MESSAGE_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_PHOTO_BYTES = 10 * 1024 * 1024  # Telegram refuses photos over 10 MB
MAX_CALLBACK_DATA_BYTES = 64
MAX_INLINE_RESULTS = 50
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024

# Parameters that PTB sends as raw strings; everything else is JSON-encoded in form bodies.
_STRING_PARAMS = frozenset(
    {
        "text", "caption", "parse_mode", "inline_query_id", "callback_query_id", "next_offset",
        "switch_pm_text", "switch_pm_parameter", "url", "file_id", "inline_message_id",
        "business_connection_id", "message_effect_id", "language_code", "document", "photo",
        "title", "description", "emoji", "custom_title", "secret_token", "name", "query",
        "sticker", "short_description", "action",
    }
)
_ALLOWED_TAGS = frozenset(
    {
        "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
        "span", "tg-spoiler", "blockquote", "tg-emoji",
    }
)
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)([^<>]*)>")
_ENTITY_RE = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
_MENTION_RE = re.compile(r"@[A-Za-z0-9_]{5,32}")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram counts in."""
    return len(text.encode("utf-16-le")) // 2


class ApiError(Exception):
    """An error answer of the Bot API (HTTP status = error_code)."""

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict[str, Any]:
        """Return the JSON body Telegram sends for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def parse_html(text: str) -> str:
    """Validate Telegram-style HTML and return the plain text; raise ApiError like Telegram."""
    out: list[str] = []
    stack: list[str] = []
    pos = 0
    raw = text
    while pos < len(raw):
        char = raw[pos]
        if char == "<":
            match = _TAG_RE.match(raw, pos)
            offset = len(raw[:pos].encode())
            if match is None:
                raise ApiError(
                    400,
                    f"Bad Request: can't parse entities: Unexpected character at byte offset {offset}",
                )
            closing, name = match.group(1) == "/", match.group(2).lower()
            if name not in _ALLOWED_TAGS:
                kind = "end" if closing else "start"
                raise ApiError(
                    400,
                    f'Bad Request: can\'t parse entities: Unsupported {kind} tag "{name}" '
                    f"at byte offset {offset}",
                )
            if closing:
                if not stack or stack[-1] != name:
                    raise ApiError(
                        400,
                        f'Bad Request: can\'t parse entities: Unmatched end tag at byte offset '
                        f'{offset}, expected "</{stack[-1] if stack else ""}>", found "</{name}>"',
                    )
                stack.pop()
            else:
                stack.append(name)
            pos = match.end()
        elif char == "&":
            match = _ENTITY_RE.match(raw, pos)
            if match is None:
                offset = len(raw[:pos].encode())
                raise ApiError(
                    400,
                    "Bad Request: can't parse entities: Can't find end of the entity starting "
                    f"at byte offset {offset}",
                )
            out.append(html.unescape(match.group(0)))
            pos = match.end()
        elif char == ">":
            # Telegram accepts a bare '>' in text.
            out.append(char)
            pos += 1
        else:
            out.append(char)
            pos += 1
    if stack:
        raise ApiError(
            400,
            f'Bad Request: can\'t parse entities: Can\'t find end tag corresponding to start '
            f'tag "{stack[-1]}"',
        )
    return "".join(out)


@dataclass
class Call:
    """One recorded Bot API request and what the server answered."""

    method: str
    params: dict[str, Any]
    token: str
    status: int = 200
    response: dict[str, Any] = field(default_factory=dict)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)
    seq: int = -1  # position among all recorded calls (what `mark()` counts)

    @property
    def ok(self) -> bool:
        """True when the server answered ok."""
        return self.status == 200

    @property
    def result(self) -> Any:
        """The `result` of an ok answer (None otherwise)."""
        return self.response.get("result")

    @property
    def chat_id(self) -> int | str | None:
        """The chat this call addressed, if any."""
        return self.params.get("chat_id")

    @property
    def text(self) -> str:
        """`text` (or `caption`) as sent, i.e. with its HTML."""
        return str(self.params.get("text", self.params.get("caption", "")))


def _buttons(markup: Any) -> list[dict[str, Any]]:
    """Flatten an inline keyboard (dict or JSON string) into its buttons."""
    if isinstance(markup, str):
        markup = json.loads(markup)
    if not isinstance(markup, dict):
        return []
    return [b for row in markup.get("inline_keyboard", []) for b in row]


class FakeBotApi:
    """A Bot API-compatible HTTP server on 127.0.0.1 that records calls and injects faults."""

    def __init__(
        self,
        *,
        bot_id: int = 7000000001,
        bot_username: str = "devnews_test_bot",
        bot_name: str = "开发区新闻助手",
        tokens: set[str] | None = None,
        rate_limit: float | None = None,
        per_chat_rate_limit: float | None = None,
        latency: float = 0.0,
        max_poll_timeout: float = 30.0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.bot_name = bot_name
        self.tokens = tokens
        self.rate_limit = rate_limit
        self.per_chat_rate_limit = per_chat_rate_limit
        self.latency = latency
        self.max_poll_timeout = max_poll_timeout
        self.host = host
        self.port = port
        # While set, every request is answered 502 Bad Gateway and not recorded (an outage).
        self.outage = False
        self.outage_hits = 0

        self._runner: web.AppRunner | None = None
        self._calls: list[Call] = []
        self._by_method: dict[str, list[Call]] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids: Counter[int | str] = Counter()
        self._ids = itertools.count(1)
        self._changed: asyncio.Condition | None = None
        self._closing = False
        self._polls: dict[str, asyncio.Future[None]] = {}

        self.messages: dict[tuple[int | str, int], dict[str, Any]] = {}
        self._raw_text: dict[tuple[int | str, int], str] = {}  # as sent, with its HTML
        self.files: dict[str, tuple[str, bytes]] = {}
        self.unsized_files: set[str] = set()
        self.download_aborted = False
        self.chat_types: dict[int | str, str] = {}
        self.member_status: dict[tuple[int | str, int], str] = {}
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.left_chats: set[int | str] = set()
        self.sent: Counter[int | str] = Counter()  # successful messages per chat

        self._forbidden: dict[int | str, str] = {}
        self._retry_after: dict[int | str, list[int]] = {}
        self._migrated: dict[int | str, int] = {}
        self._recent: deque[float] = deque()
        self._recent_per_chat: dict[int | str, deque[float]] = {}
        self._failures: dict[str, list[ApiError]] = {}
        # Called with each recorded call before it is answered (tests kill a client mid-send).
        self.on_call: Callable[[Call], None] | None = None

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> FakeBotApi:
        """Start listening on 127.0.0.1 on a free port."""
        self._changed = asyncio.Condition()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        """Release long polls and stop the server."""
        self._closing = True
        await self._notify()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotApi:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """The TELEGRAM_API_BASE_URL to give the bot (the token is appended by PTB)."""
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """The TELEGRAM_API_FILE_URL to give the bot."""
        return f"http://{self.host}:{self.port}/file/bot"

    # --- records ---------------------------------------------------------------------------

    def mark(self) -> int:
        """Return the number of calls so far (pass it as `since` to look only at later calls)."""
        return len(self._calls)

    def calls(self, method: str | None = None, *, since: int = 0) -> list[Call]:
        """Recorded calls, optionally of one method and after a mark."""
        if method is None:
            return self._calls[since:]
        # Per-method lists keep this cheap during 10,000-chat fan-outs.
        recorded = self._by_method.get(method, [])
        start = bisect.bisect_left(recorded, since, key=lambda c: c.seq) if since else 0
        return recorded[start:]

    def sent_messages(self, chat_id: int | str | None = None, *, since: int = 0) -> list[Call]:
        """Successful sendMessage calls (optionally to one chat)."""
        return [
            c
            for c in self.calls("sendMessage", since=since)
            if c.ok and (chat_id is None or c.chat_id == chat_id)
        ]

    async def wait_for(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = None,
        *,
        timeout: float = 5.0,
        since: int = 0,
    ) -> Call:
        """Wait for the first call of `method` after `since` that matches `predicate`."""
        found: list[Call] = []
        checked = since

        def find() -> bool:
            nonlocal checked
            for call in self._calls[checked:]:
                checked += 1
                if call.method == method and (predicate is None or predicate(call)):
                    found.append(call)
                    return True
            return False

        try:
            await self.wait_until(find, timeout=timeout)
        except TimeoutError:
            seen = [(c.method, c.params.get("chat_id")) for c in self._calls[since:]]
            raise AssertionError(f"no {method} within {timeout}s; calls since: {seen}") from None
        return found[0]

    async def wait_polling(self, *, timeout: float = 30.0) -> None:
        """Wait until a bot has a getUpdates long poll open (it is ready for updates)."""
        await self.wait_until(lambda: bool(self._polls), timeout=timeout)

    @property
    def polling(self) -> bool:
        """True while a getUpdates long poll is waiting."""
        return bool(self._polls)

    async def wait_until(self, condition: Callable[[], bool], *, timeout: float = 5.0) -> None:
        """Wait until `condition()` is true, re-checking after every call and update."""
        assert self._changed is not None, "server not started"
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(condition), timeout)

    # --- configuration and faults -----------------------------------------------------------

    def set_chat_type(self, chat_id: int | str, chat_type: str) -> None:
        """Declare a chat's type (private, group, supergroup, channel)."""
        self.chat_types[chat_id] = chat_type

    def set_member_status(self, chat_id: int | str, user_id: int, status: str) -> None:
        """Set what getChatMember returns (creator, administrator, member, restricted, left, kicked)."""
        self.member_status[(chat_id, user_id)] = status

    def forbid_chat(self, chat_id: int | str, description: str = "Forbidden: bot was blocked by the user") -> None:
        """Answer every send/edit to this chat with 403."""
        self._forbidden[chat_id] = description

    def allow_chat(self, chat_id: int | str) -> None:
        """Undo forbid_chat."""
        self._forbidden.pop(chat_id, None)

    def retry_after(self, chat_id: int | str, seconds: int, times: int = 1) -> None:
        """Answer the next `times` sends to this chat with 429 retry_after=`seconds`."""
        self._retry_after.setdefault(chat_id, []).extend([seconds] * times)

    def migrate_chat(self, old_chat_id: int | str, new_chat_id: int) -> None:
        """Answer sends to `old_chat_id` with 400 and parameters.migrate_to_chat_id."""
        self._migrated[old_chat_id] = new_chat_id
        self.chat_types.setdefault(new_chat_id, "supergroup")

    def fail_next(self, method: str, code: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        """Answer the next call of `method` with this error."""
        self._failures.setdefault(method, []).append(ApiError(code, description, parameters))

    def add_file(self, content: bytes, file_name: str = "file.txt") -> str:
        """Register a downloadable file; return its file_id."""
        file_id = f"F{next(self._ids):06d}"
        self.files[file_id] = (file_name, content)
        return file_id

    # --- update builders --------------------------------------------------------------------

    def user(self, user_id: int, *, first_name: str | None = None, username: str | None = None) -> dict[str, Any]:
        """A User object for a human."""
        return {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name or f"用户{user_id}",
            "username": username or f"user{user_id}",
            "language_code": "zh-hans",
        }

    def bot_user(self) -> dict[str, Any]:
        """The bot's own User object."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_name,
            "username": self.bot_username,
        }

    def chat(self, chat_id: int | str) -> dict[str, Any]:
        """A Chat object (type inferred from the id unless declared)."""
        chat_type = self._chat_type(chat_id)
        if chat_type == "private":
            return {"id": chat_id, "type": "private", "first_name": f"用户{chat_id}"}
        return {"id": chat_id, "type": chat_type, "title": f"测试群{chat_id}"}

    def _chat_type(self, chat_id: int | str) -> str:
        if chat_id in self.chat_types:
            return self.chat_types[chat_id]
        if isinstance(chat_id, str):
            return "channel"
        if chat_id > 0:
            return "private"
        # Supergroup and channel ids are -100 followed by ten digits.
        return "supergroup" if chat_id <= -1_000_000_000_000 else "group"

    def _next_message_id(self, chat_id: int | str) -> int:
        self._message_ids[chat_id] += 1
        return self._message_ids[chat_id]

    @staticmethod
    def entities_for(text: str) -> list[dict[str, Any]]:
        """Entities Telegram would attach: a leading bot_command and @mentions."""
        entities: list[dict[str, Any]] = []
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0] if text.strip() else text
            entities.append({"type": "bot_command", "offset": 0, "length": utf16_len(command)})
        for match in _MENTION_RE.finditer(text):
            entities.append(
                {
                    "type": "mention",
                    "offset": utf16_len(text[: match.start()]),
                    "length": utf16_len(match.group(0)),
                }
            )
        return entities

    def make_message(
        self,
        chat_id: int | str,
        user_id: int,
        *,
        text: str | None = None,
        reply_to: dict[str, Any] | None = None,
        entities: list[dict[str, Any]] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """A Message object from a user in a chat; also stored so replies can point at it."""
        message: dict[str, Any] = {
            "message_id": self._next_message_id(chat_id),
            "date": int(time.time()),
            "chat": self.chat(chat_id),
            "from": self.user(user_id),
        }
        if text is not None:
            message["text"] = text
            found = self.entities_for(text) if entities is None else entities
            if found:
                message["entities"] = found
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        message.update(extra)
        self.messages[(chat_id, message["message_id"])] = message
        return message

    def make_private_text(self, text: str, *, user_id: int = 1001, **kw: Any) -> dict[str, Any]:
        """An update: a text message (or command) in a private chat."""
        return {"message": self.make_message(user_id, user_id, text=text, **kw)}

    def make_group_text(
        self,
        text: str,
        *,
        chat_id: int = -1001234567890,
        user_id: int = 1001,
        reply_to: dict[str, Any] | None = None,
        **kw: Any,
    ) -> dict[str, Any]:
        """An update: a text message (or command) in a group; `reply_to` a message dict."""
        return {"message": self.make_message(chat_id, user_id, text=text, reply_to=reply_to, **kw)}

    def make_callback_query(
        self, message: dict[str, Any], data: str, *, user_id: int = 1001
    ) -> dict[str, Any]:
        """An update: a button press on `message` (e.g. `call.result` of a sendMessage)."""
        return {
            "callback_query": {
                "id": str(next(self._ids)),
                "from": self.user(user_id),
                "message": message,
                "chat_instance": f"ci{message['chat']['id']}",
                "data": data,
            }
        }

    def make_inline_callback_query(
        self, data: str, *, inline_message_id: str = "IM1", user_id: int = 1001
    ) -> dict[str, Any]:
        """An update: a button press on a message the user posted through inline mode (no chat)."""
        return {
            "callback_query": {
                "id": str(next(self._ids)),
                "from": self.user(user_id),
                "inline_message_id": inline_message_id,
                "chat_instance": f"ci-inline-{user_id}",
                "data": data,
            }
        }

    def make_edit(self, message: dict[str, Any], text: str) -> dict[str, Any]:
        """An update: the user edited `message` (an earlier make_* message) to `text`."""
        edited = {**message, "text": text, "edit_date": int(time.time())}
        found = self.entities_for(text)
        edited.pop("entities", None)
        if found:
            edited["entities"] = found
        self.messages[(message["chat"]["id"], message["message_id"])] = edited
        return {"edited_message": edited}

    def make_my_chat_member(self, chat_id: int | str, status: str, *, user_id: int = 1001) -> dict[str, Any]:
        """An update: the bot's membership in a chat changed to `status` (left, kicked, member…)."""
        new: dict[str, Any] = {"status": status, "user": self.bot_user()}
        if status == "kicked":
            new["until_date"] = 0
        return {
            "my_chat_member": {
                "chat": self.chat(chat_id),
                "from": self.user(user_id),
                "date": int(time.time()),
                "old_chat_member": {"status": "member", "user": self.bot_user()},
                "new_chat_member": new,
            }
        }

    def make_inline_query(self, query: str, *, user_id: int = 1001, offset: str = "") -> dict[str, Any]:
        """An update: an inline query `@bot query`."""
        return {
            "inline_query": {
                "id": str(next(self._ids)),
                "from": self.user(user_id),
                "query": query,
                "offset": offset,
                "chat_type": "sender",
            }
        }

    def make_document(
        self,
        content: bytes,
        *,
        file_name: str = "news.txt",
        mime_type: str = "text/plain",
        chat_id: int | None = None,
        user_id: int = 1001,
        caption: str | None = None,
        with_size: bool = True,
    ) -> dict[str, Any]:
        """An update: a document upload (downloadable through getFile + the file URL).

        `with_size=False`: Telegram leaves out `file_size`, in the update and in getFile.
        """
        file_id = self.add_file(content, file_name)
        document: dict[str, Any] = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": file_name,
            "mime_type": mime_type,
        }
        if with_size:
            document["file_size"] = len(content)
        else:
            self.unsized_files.add(file_id)
        extra: dict[str, Any] = {"document": document}
        if caption is not None:
            extra["caption"] = caption
        return {"message": self.make_message(chat_id or user_id, user_id, **extra)}

    def make_sticker(self, *, chat_id: int | None = None, user_id: int = 1001) -> dict[str, Any]:
        """An update: a sticker message."""
        sticker = {
            "file_id": f"S{next(self._ids)}",
            "file_unique_id": "sticker1",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "👍",
        }
        return {"message": self.make_message(chat_id or user_id, user_id, sticker=sticker)}

    def make_photo(
        self, *, chat_id: int | None = None, user_id: int = 1001, caption: str | None = None
    ) -> dict[str, Any]:
        """An update: a photo message (optionally captioned)."""
        photo = [
            {"file_id": f"P{next(self._ids)}", "file_unique_id": "p1", "width": 90, "height": 60},
            {"file_id": f"P{next(self._ids)}", "file_unique_id": "p2", "width": 800, "height": 600},
        ]
        extra: dict[str, Any] = {"photo": photo}
        if caption is not None:
            extra["caption"] = caption
        return {"message": self.make_message(chat_id or user_id, user_id, **extra)}

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates; return it with its update_id."""
        update = {"update_id": next(self._update_ids), **update}
        self._updates.append(update)
        asyncio.get_running_loop().create_task(self._notify())
        return update

    @property
    def pending_updates(self) -> int:
        """Updates not yet confirmed by the bot (through a later getUpdates offset)."""
        return len(self._updates)

    # --- HTTP -------------------------------------------------------------------------------

    async def _notify(self) -> None:
        if self._changed is None:
            return
        async with self._changed:
            self._changed.notify_all()

    async def _params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, tuple[str, bytes]]]:
        """Decode a JSON, form-encoded or multipart body (PTB posts form fields, JSON-encoded)."""
        params: dict[str, Any] = dict(request.query)
        files: dict[str, tuple[str, bytes]] = {}
        if request.content_type == "application/json":
            body = await request.json() if request.can_read_body else {}
            params.update(body or {})
            return params, files
        if request.can_read_body:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    files[key] = (value.filename, value.file.read())
                else:
                    params[key] = str(value)
        for key, value in list(params.items()):
            if isinstance(value, str) and key not in _STRING_PARAMS:
                with contextlib.suppress(ValueError):
                    params[key] = json.loads(value)
        return params, files

    async def _handle(self, request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        if self.outage:
            self.outage_hits += 1
            await asyncio.sleep(0.05)
            body = {"ok": False, "error_code": 502, "description": "Bad Gateway"}
            return web.json_response(body, status=502)
        params, files = await self._params(request)
        call = Call(method=method, params=params, token=token, files=files)
        if self.latency:
            await asyncio.sleep(self.latency)
        try:
            if self.tokens is not None and token not in self.tokens:
                raise ApiError(401, "Unauthorized")
            pending = self._failures.get(method)
            if pending:
                raise pending.pop(0)
            handler = getattr(self, f"_api_{method}", None) or getattr(self, f"_api_{method.lower()}", None)
            if handler is None:
                raise ApiError(404, "Not Found")
            self._check_faults(method, params)
            result = await handler(params, call)
            call.response = {"ok": True, "result": result}
        except ApiError as exc:
            call.status, call.response = exc.code, exc.payload()
        call.seq = len(self._calls)
        self._calls.append(call)
        self._by_method.setdefault(method, []).append(call)
        if self.on_call is not None:
            self.on_call(call)
        await self._notify()
        return web.json_response(call.response, status=call.status, dumps=_dumps)

    async def _download(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        file_id = path.split("/")[-1].split("_", 1)[0]
        if file_id not in self.files:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        content = self.files[file_id][1]
        if file_id not in self.unsized_files:
            return web.Response(body=content, content_type="application/octet-stream")
        # No Content-Length either: the client only learns the size by reading.
        response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        self.download_aborted = False
        try:
            for start in range(0, len(content), 65536):
                await response.write(content[start : start + 65536])
        except (ConnectionResetError, asyncio.CancelledError):
            self.download_aborted = True
            raise
        await response.write_eof()
        return response

    def _check_faults(self, method: str, params: dict[str, Any]) -> None:
        """Apply migration, blocking, 429s and rate limits to calls that post into a chat."""
        chat_id = params.get("chat_id")
        posting = method.startswith(("send", "edit", "copy", "forward"))
        if chat_id is None or not posting:
            return
        if chat_id in self._migrated:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self._migrated[chat_id]},
            )
        if chat_id in self._forbidden:
            raise ApiError(403, self._forbidden[chat_id])
        if chat_id in self.left_chats:
            raise ApiError(403, "Forbidden: bot is not a member of the group chat")
        queued = self._retry_after.get(chat_id)
        if queued:
            seconds = queued.pop(0)
            raise ApiError(429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds})
        now = time.monotonic()
        if self.rate_limit is not None:
            while self._recent and now - self._recent[0] >= 1.0:
                self._recent.popleft()
            if len(self._recent) >= self.rate_limit:
                raise ApiError(429, "Too Many Requests: retry after 1", {"retry_after": 1})
            self._recent.append(now)
        if self.per_chat_rate_limit is not None:
            recent = self._recent_per_chat.setdefault(chat_id, deque())
            while recent and now - recent[0] >= 1.0:
                recent.popleft()
            if len(recent) >= self.per_chat_rate_limit:
                raise ApiError(429, "Too Many Requests: retry after 1", {"retry_after": 1})
            recent.append(now)

    # --- validation helpers -----------------------------------------------------------------

    @staticmethod
    def _plain(text: str, parse_mode: str | None) -> str:
        return parse_html(text) if (parse_mode or "").upper() == "HTML" else text

    def _validate_text(self, text: Any, parse_mode: str | None, limit: int = MAX_MESSAGE_LENGTH) -> str:
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        plain = self._plain(text, parse_mode)
        if not plain.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(plain) > limit:
            raise ApiError(400, "Bad Request: message is too long")
        return plain

    @staticmethod
    def _validate_markup(markup: Any) -> None:
        for button in _buttons(markup):
            data = button.get("callback_data")
            if data is not None and (not data or len(str(data).encode()) > MAX_CALLBACK_DATA_BYTES):
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            if not button.get("text"):
                raise ApiError(400, "Bad Request: BUTTON_TEXT_INVALID")

    def _bot_message(self, chat_id: int | str, **fields: Any) -> dict[str, Any]:
        message = {
            "message_id": self._next_message_id(chat_id),
            "date": int(time.time()),
            "chat": self.chat(chat_id),
            "from": self.bot_user(),
            **{k: v for k, v in fields.items() if v is not None},
        }
        self.messages[(chat_id, message["message_id"])] = message
        self.sent[chat_id] += 1
        return message

    def _key(self, params: dict[str, Any]) -> tuple[int | str, int]:
        return (params.get("chat_id") or 0, int(params.get("message_id") or 0))

    def _existing(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self.messages.get(self._key(params))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        return message

    # --- methods ----------------------------------------------------------------------------

    async def _api_getMe(self, params: dict[str, Any], call: Call) -> Any:
        me = self.bot_user()
        prefix = call.token.split(":", 1)[0]
        if prefix.isdigit():
            me["id"] = int(prefix)
        me.update(can_join_groups=True, can_read_all_group_messages=False, supports_inline_queries=True)
        return me

    async def _api_getUpdates(self, params: dict[str, Any], call: Call) -> Any:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = min(float(params.get("timeout") or 0), self.max_poll_timeout)
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        # Telegram ends an older long poll with 409 when a second poller appears.
        previous = self._polls.pop(call.token, None)
        if previous is not None and not previous.done():
            previous.set_result(None)
            await self._notify()
        mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._polls[call.token] = mine
        await self._notify()  # wait_polling() callers learn that a poll is waiting
        assert self._changed is not None

        def ready() -> bool:
            return bool(self._updates) or self._closing or mine.done()

        try:
            if not ready() and timeout > 0:
                async with self._changed:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._changed.wait_for(ready), timeout)
        finally:
            if self._polls.get(call.token) is mine:
                del self._polls[call.token]
        if mine.done():
            raise ApiError(409, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running")
        return self._updates[:limit]

    async def _api_deleteWebhook(self, params: dict[str, Any], call: Call) -> Any:
        return True

    async def _api_getWebhookInfo(self, params: dict[str, Any], call: Call) -> Any:
        return {"url": "", "has_custom_certificate": False, "pending_update_count": len(self._updates)}

    async def _api_setMyCommands(self, params: dict[str, Any], call: Call) -> Any:
        scope = params.get("scope") or {"type": "default"}
        commands = params.get("commands") or []
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", command.get("command", "")):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(command.get("description", "")) <= 256:
                raise ApiError(400, "Bad Request: command description is empty or too long")
        self.commands[json.dumps(scope, sort_keys=True)] = commands
        return True

    async def _api_getMyCommands(self, params: dict[str, Any], call: Call) -> Any:
        scope = params.get("scope") or {"type": "default"}
        return self.commands.get(json.dumps(scope, sort_keys=True), [])

    async def _api_sendMessage(self, params: dict[str, Any], call: Call) -> Any:
        plain = self._validate_text(params.get("text"), params.get("parse_mode"))
        self._validate_markup(params.get("reply_markup"))
        message = self._bot_message(
            params["chat_id"], text=plain, reply_markup=params.get("reply_markup"),
            reply_to_message=self._reply_target(params),
        )
        self._raw_text[(params["chat_id"], message["message_id"])] = params["text"]
        return message

    def _reply_target(self, params: dict[str, Any]) -> dict[str, Any] | None:
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            return self.messages.get((reply.get("chat_id", params["chat_id"]), reply.get("message_id")))
        return None

    async def _api_editMessageText(self, params: dict[str, Any], call: Call) -> Any:
        plain = self._validate_text(params.get("text"), params.get("parse_mode"))
        self._validate_markup(params.get("reply_markup"))
        if params.get("inline_message_id"):
            return True
        message = self._existing(params)
        key = self._key(params)
        if self._raw_text.get(key) == params.get("text") and message.get(
            "reply_markup"
        ) == params.get("reply_markup"):
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        self._raw_text[key] = params["text"]
        message.update(text=plain, edit_date=int(time.time()))
        if params.get("reply_markup") is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = params.get("reply_markup")
        return message

    async def _api_editMessageReplyMarkup(self, params: dict[str, Any], call: Call) -> Any:
        self._validate_markup(params.get("reply_markup"))
        if params.get("inline_message_id"):
            return True
        message = self._existing(params)
        if message.get("reply_markup") == params.get("reply_markup"):
            raise ApiError(400, "Bad Request: message is not modified")
        message["reply_markup"] = params.get("reply_markup")
        return message

    async def _api_answerCallbackQuery(self, params: dict[str, Any], call: Call) -> Any:
        if len(str(params.get("text") or "")) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        return True

    async def _api_answerInlineQuery(self, params: dict[str, Any], call: Call) -> Any:
        results = params.get("results") or []
        if len(results) > MAX_INLINE_RESULTS:
            raise ApiError(400, "Bad Request: RESULTS_TOO_MUCH")
        ids = [str(r.get("id")) for r in results]
        if len(set(ids)) != len(ids):
            raise ApiError(400, "Bad Request: RESULT_ID_DUPLICATE")
        for result in results:
            if not result.get("id") or len(str(result["id"]).encode()) > 64:
                raise ApiError(400, "Bad Request: RESULT_ID_INVALID")
            content = result.get("input_message_content") or {}
            if "message_text" in content:
                self._validate_text(content["message_text"], content.get("parse_mode"))
            self._validate_markup(result.get("reply_markup"))
        if len(str(params.get("next_offset") or "").encode()) > 64:
            raise ApiError(400, "Bad Request: NEXT_OFFSET_INVALID")
        return True

    async def _api_sendChatAction(self, params: dict[str, Any], call: Call) -> Any:
        return True

    async def _api_sendDocument(self, params: dict[str, Any], call: Call) -> Any:
        caption = params.get("caption")
        if caption:
            self._validate_text(caption, params.get("parse_mode"), MAX_CAPTION_LENGTH)
        if "document" in call.files:
            name, content = call.files["document"]
        elif isinstance(params.get("document"), str) and params["document"].startswith("attach://"):
            name, content = call.files[params["document"].removeprefix("attach://")]
        elif isinstance(params.get("document"), str) and params["document"] in self.files:
            name, content = self.files[params["document"]]
        else:
            raise ApiError(400, "Bad Request: there is no document in the request")
        file_id = self.add_file(content, name)
        document = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": name,
            "file_size": len(content),
        }
        return self._bot_message(
            params["chat_id"], document=document,
            caption=self._plain(caption, params.get("parse_mode")) if caption else None,
        )

    async def _api_sendPhoto(self, params: dict[str, Any], call: Call) -> Any:
        caption = params.get("caption")
        if caption:
            self._validate_text(caption, params.get("parse_mode"), MAX_CAPTION_LENGTH)
        if "photo" in call.files:
            name, content = call.files["photo"]
        elif isinstance(params.get("photo"), str) and params["photo"].startswith("attach://"):
            name, content = call.files[params["photo"].removeprefix("attach://")]
        else:
            raise ApiError(400, "Bad Request: there is no photo in the request")
        if len(content) > MAX_PHOTO_BYTES:
            raise ApiError(400, "Bad Request: PHOTO_INVALID_DIMENSIONS")
        if content[:8] != b"\x89PNG\r\n\x1a\n" and content[:3] != b"\xff\xd8\xff":
            raise ApiError(400, "Bad Request: IMAGE_PROCESS_FAILED")
        file_id = self.add_file(content, name)
        photo = [{"file_id": file_id, "file_unique_id": f"u{file_id}", "width": 0, "height": 0,
                  "file_size": len(content)}]
        return self._bot_message(
            params["chat_id"], photo=photo,
            caption=self._plain(caption, params.get("parse_mode")) if caption else None,
        )

    async def _api_getFile(self, params: dict[str, Any], call: Call) -> Any:
        file_id = str(params.get("file_id"))
        if file_id not in self.files:
            raise ApiError(400, "Bad Request: invalid file_id")
        name, content = self.files[file_id]
        if len(content) > MAX_DOWNLOAD_BYTES:
            raise ApiError(400, "Bad Request: file is too big")
        result: dict[str, Any] = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_path": f"documents/{file_id}_{name}",
        }
        if file_id not in self.unsized_files:
            result["file_size"] = len(content)
        return result

    async def _api_getChatMember(self, params: dict[str, Any], call: Call) -> Any:
        chat_id, user_id = params.get("chat_id") or 0, int(params.get("user_id") or 0)
        status = self.member_status.get((chat_id, user_id), "member")
        member: dict[str, Any] = {"status": status, "user": self.user(user_id)}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            member.update(
                {
                    name: name != "is_anonymous"
                    for name in (
                        "can_be_edited", "is_anonymous", "can_manage_chat", "can_delete_messages",
                        "can_manage_video_chats", "can_restrict_members", "can_promote_members",
                        "can_change_info", "can_invite_users", "can_post_stories",
                        "can_edit_stories", "can_delete_stories",
                    )
                }
            )
        elif status == "restricted":
            member.update(
                {
                    name: False
                    for name in (
                        "can_change_info", "can_invite_users", "can_pin_messages",
                        "can_send_messages", "can_send_polls", "can_send_other_messages",
                        "can_add_web_page_previews", "can_manage_topics", "can_send_audios",
                        "can_send_documents", "can_send_photos", "can_send_videos",
                        "can_send_video_notes", "can_send_voice_notes", "can_edit_tag",
                    )
                },
                is_member=True,
                can_react_to_messages=False,
                until_date=0,
            )
        elif status == "kicked":
            member["until_date"] = 0
        return member

    async def _api_getChat(self, params: dict[str, Any], call: Call) -> Any:
        chat = self.chat(params["chat_id"])
        chat.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        return chat

    async def _api_leaveChat(self, params: dict[str, Any], call: Call) -> Any:
        self.left_chats.add(params["chat_id"])
        return True

    async def _api_close(self, params: dict[str, Any], call: Call) -> Any:
        return True


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)
