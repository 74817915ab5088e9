"""Bytes to text: decode a text file (UTF-8, UTF-16 with BOM, GB18030) or refuse it."""

from __future__ import annotations

import codecs
import logging
import re

log = logging.getLogger(__name__)


class IngestError(ValueError):
    """A file that cannot be ingested; the message names the file and the reason."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


# Control characters that never occur in a text file (tab, newline, CR, FF and VT are fine).
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_PRIVATE_USE = re.compile(r"[\ue000-\uf8ff]")
_VISIBLE = re.compile(r"[^\s\ufeff\u200b-\u200d\u2060]")


def decode_bytes(data: bytes, *, name: str) -> str:
    """Decode a text file (UTF-8 with or without BOM, UTF-16 with BOM, GB18030); refuse the rest."""
    if not data.strip():
        raise IngestError(name, "文件为空")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise IngestError(name, "无法解码（UTF-16 内容损坏）") from exc
        via = "utf-16"
    elif b"\x00" in data:
        raise IngestError(name, "不是文本文件（含 NUL 字节，疑为二进制文件）")
    else:
        try:
            text = data.decode("utf-8-sig")
            via = "utf-8"
        except UnicodeDecodeError:
            try:
                text = data.decode("gb18030")
            except UnicodeDecodeError as exc:
                raise IngestError(name, "无法解码（既不是 UTF-8 也不是 GB18030 编码）") from exc
            via = "gb18030"
    if not _VISIBLE.search(text):
        raise IngestError(name, "文件为空（只有空白字符）")
    controls = len(_CONTROL.findall(text))
    if controls > max(2, len(text) // 100):
        raise IngestError(name, "不是文本文件（控制字符过多，疑为二进制文件）")
    # GB18030 maps almost every byte pair somewhere; private-use code points betray a wrong guess.
    if via == "gb18030" and len(_PRIVATE_USE.findall(text)) > max(2, len(text) // 100):
        raise IngestError(name, "无法解码（既不是 UTF-8 也不是 GB18030 编码）")
    return text
