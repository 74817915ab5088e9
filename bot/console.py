"""Terminal chat over the real handlers: typed lines become updates, replies print as text.

The Application is the one `build_application` makes; only its HTTP layer is replaced by
`ConsoleRequest`, which answers Bot API calls in-process and prints what the bot sends.
Buttons are listed as numbered choices; typing the number presses the button.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, TextIO

from telegram import Update
from telegram.request import BaseRequest, RequestData

from bot.config import ConfigError, Settings, load_settings

log = logging.getLogger(__name__)

BOT_USER = {"id": 1, "is_bot": True, "first_name": "开发区新闻助手", "username": "devnews_console_bot"}
BANNER = "开发区新闻助手 · 控制台（没有配置 TELEGRAM_BOT_TOKEN）。输入问题或命令，/help 查看帮助，数字选择按钮，Ctrl-D 退出。"
QUIT = frozenset({"/quit", "/exit", "quit", "exit", "退出"})
_BLOCKQUOTE_RE = re.compile(r"<blockquote[^>]*>(.*?)</blockquote>", re.DOTALL)
_TAG_RE = re.compile(r"<[^<>]*>")


def html_to_text(text: str) -> str:
    """Readable terminal text for Telegram HTML: quotes get a bar, tags go, entities unescape."""

    def quote(match: re.Match[str]) -> str:
        inner = html.unescape(_TAG_RE.sub("", match.group(1)))
        return "\n".join(f"  │ {line}" for line in inner.splitlines())

    return html.unescape(_TAG_RE.sub("", _BLOCKQUOTE_RE.sub(quote, text)))


class Console:
    """One private chat between the terminal user and the bot; prints what the bot sends."""

    def __init__(self, out: TextIO, user_id: int = 1000, files_dir: Path | None = None) -> None:
        self.out = out
        self.user_id = user_id
        # Photos and documents the bot sends are saved here (a terminal cannot show them).
        self.files_dir = files_dir or Path(tempfile.gettempdir()) / "devnews-console"
        self.messages: dict[int, dict[str, Any]] = {}
        self.choices: list[tuple[int, str]] = []  # (message_id, callback_data)
        self._message_id = 0
        self._update_id = 0

    # --- the bot's side (Bot API calls) -------------------------------------------------------

    def call(self, method: str, params: dict[str, Any], files: dict[str, Any] | None = None) -> Any:
        """Answer one Bot API call the way Telegram would, printing anything visible."""
        if method == "getMe":
            return BOT_USER
        if method in ("sendPhoto", "sendDocument"):
            return self._send_file(method, params, files or {})
        if method == "sendMessage":
            message = self._store(self._new_id(), str(params.get("text", "")), params.get("reply_markup"))
            self._print(message)
            return message
        if method == "editMessageText":
            message_id = int(params.get("message_id") or 0)
            message = self._store(message_id, str(params.get("text", "")), params.get("reply_markup"))
            self._print(message, edited=True)
            return message
        if method == "answerCallbackQuery" and params.get("text"):
            self.write(f"（{params['text']}）")
        return True

    def _send_file(self, method: str, params: dict[str, Any], files: dict[str, Any]) -> dict[str, Any]:
        """Save a sent photo or document and print where it is, with its caption."""
        field = "photo" if method == "sendPhoto" else "document"
        name, content = "file", b""
        for value in files.values():
            name, content = str(value[0] or name), value[1]
            content = content if isinstance(content, bytes) else content.read()
            break
        message_id = self._new_id()
        self.files_dir.mkdir(parents=True, exist_ok=True)
        path = self.files_dir / f"{message_id}-{Path(name).name}"
        path.write_bytes(content)
        caption = html_to_text(str(params.get("caption") or ""))
        icon = "🖼" if field == "photo" else "📎"
        self.write(f"bot› {icon} {caption}\n  （已保存：{path}）\n")
        message = self._store(message_id, "", None)
        message.pop("text")
        if caption:
            message["caption"] = caption
        file = {"file_id": str(message_id), "file_unique_id": f"u{message_id}", "file_size": len(content)}
        if field == "photo":
            message["photo"] = [{**file, "width": 0, "height": 0}]
        else:
            message["document"] = {**file, "file_name": path.name}
        return message

    def _new_id(self) -> int:
        self._message_id += 1
        return self._message_id

    def _store(self, message_id: int, text: str, markup: Any) -> dict[str, Any]:
        if isinstance(markup, str):
            markup = json.loads(markup)
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self._chat(),
            "from": BOT_USER,
            "text": html_to_text(text),
        }
        if markup:
            message["reply_markup"] = markup
        self.messages[message_id] = message
        return message

    def _print(self, message: dict[str, Any], *, edited: bool = False) -> None:
        prefix = "bot›（已更新）" if edited else "bot›"
        self.write(f"{prefix} {message['text']}")
        rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
        buttons = [b for row in rows for b in row if b.get("callback_data")]
        if buttons:
            self.choices = [(message["message_id"], b["callback_data"]) for b in buttons]
            self.write("  ".join(f"[{n}] {b['text']}" for n, b in enumerate(buttons, start=1)))
        self.write("")

    def write(self, text: str) -> None:
        """Print one line (or block) of the conversation."""
        self.out.write(text + "\n")
        self.out.flush()

    # --- the user's side (updates) -----------------------------------------------------------

    def _chat(self) -> dict[str, Any]:
        return {"id": self.user_id, "type": "private", "first_name": "你"}

    def _user(self) -> dict[str, Any]:
        return {"id": self.user_id, "is_bot": False, "first_name": "你", "language_code": "zh-hans"}

    def update_for(self, line: str) -> dict[str, Any]:
        """The update a typed line stands for: a button press (its number) or a message."""
        self._update_id += 1
        if line.isdecimal() and 1 <= int(line) <= len(self.choices):
            message_id, data = self.choices[int(line) - 1]
            query = {
                "id": str(self._update_id),
                "from": self._user(),
                "message": self.messages[message_id],
                "chat_instance": "console",
                "data": data,
            }
            return {"update_id": self._update_id, "callback_query": query}
        message: dict[str, Any] = {
            "message_id": self._new_id(),
            "date": int(time.time()),
            "chat": self._chat(),
            "from": self._user(),
            "text": line,
        }
        if line.startswith("/"):
            command = line.split(maxsplit=1)[0]
            length = len(command.encode("utf-16-le")) // 2
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return {"update_id": self._update_id, "message": message}


class ConsoleRequest(BaseRequest):
    """A BaseRequest that hands every Bot API call to a Console instead of the network."""

    def __init__(self, console: Console) -> None:
        self.console = console

    @property
    def read_timeout(self) -> float | None:
        """No network, so no timeout."""
        return None

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        """Answer in-process with the Bot API envelope."""
        endpoint = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data else {}
        files = dict(request_data.multipart_data) if request_data and request_data.contains_files else {}
        result = self.console.call(endpoint, params, files)
        return 200, json.dumps({"ok": True, "result": result}, ensure_ascii=False).encode()


async def chat(settings: Settings, lines: TextIO, out: TextIO) -> None:
    """Run the console conversation until end of input (or /quit)."""
    from bot.app import Services, build_application, startup
    from bot.env import index_dir_from_env
    from store.service import FactStore

    user_id = settings.admin_ids[0] if settings.admin_ids else 1000
    console = Console(out, user_id=user_id)
    store = await asyncio.to_thread(
        FactStore.open, settings.database_url, index_dir=index_dir_from_env()
    )
    app = build_application(settings, Services(store=store), request=ConsoleRequest(console))
    interactive = lines.isatty()
    async with app:
        await startup(app)
        console.write(BANNER)
        while True:
            if interactive:
                out.write("你› ")
                out.flush()
            line = await asyncio.to_thread(lines.readline)
            if not line:
                break
            line = line.strip()
            if not line:
                continue
            if not interactive:
                console.write(f"你› {line}")
            if line.lower() in QUIT:
                break
            update = Update.de_json(console.update_for(line), app.bot)
            await app.process_update(update)


def run_console() -> int:
    """Start the terminal chat on stdin/stdout; return the exit status."""
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    for name in ("httpx", "httpcore", "apscheduler"):
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        asyncio.run(chat(settings, sys.stdin, sys.stdout))
    except KeyboardInterrupt:
        print(file=sys.stdout)
    return 0
