"""Fetching pages and feeds safely: http(s) only, public addresses only, capped redirects, size and time."""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
import time
import zlib
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

log = logging.getLogger(__name__)

# Environment switch that lets fetches reach loopback, private and link-local addresses (tests,
# a feed on the same LAN). Off by default: an admin's URL must not become a probe of our network.
ALLOW_PRIVATE_ENV = "FETCH_ALLOW_PRIVATE"
_TRUE = frozenset({"1", "true", "yes", "on"})

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024


def allow_private_from_env() -> bool:
    """True when FETCH_ALLOW_PRIVATE is set to 1/true/yes/on (read at call time, not import)."""
    return os.environ.get(ALLOW_PRIVATE_ENV, "").strip().lower() in _TRUE


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    """Limits of one fetch. Shorter timeouts fail slow sites sooner; larger caps admit bigger files."""

    allow_private: bool = False
    connect_timeout: float = 5.0  # seconds to open the connection
    read_timeout: float = 10.0  # seconds of silence tolerated while reading
    total_timeout: float = 30.0  # the whole fetch, redirects and body included
    max_bytes: int = 20 * 1024 * 1024  # the body (after gzip), same as Telegram's download limit
    max_redirects: int = 5
    user_agent: str = "Mozilla/5.0 (compatible; devnews-bot/0.1)"

    @classmethod
    def from_env(cls, **overrides: object) -> FetchPolicy:
        """The default policy with allow_private from FETCH_ALLOW_PRIVATE."""
        values: dict[str, object] = {"allow_private": allow_private_from_env()}
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]


class FetchError(Exception):
    """A fetch refused or failed; `reason` says why in words an admin understands."""

    def __init__(self, url: str, reason: str, *, status: int | None = None) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason
        self.status = status


@dataclass(frozen=True, slots=True)
class Fetched:
    """A response: the final URL after redirects, its status, type, validators and body."""

    url: str
    final_url: str
    status: int
    content_type: str  # lower-case MIME type without parameters ("" when not sent)
    charset: str | None  # charset declared in the Content-Type header
    body: bytes
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        """True for 304 Not Modified (conditional GET matched)."""
        return self.status == 304


def is_http_url(text: str) -> bool:
    """True when `text` is an absolute http:// or https:// URL with a host."""
    parts = urlsplit(text.strip())
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def _public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve(url: str, *, allow_private: bool) -> tuple[str, str, int, str]:
    """Check a URL and resolve its host: (scheme, host, port, address to connect to)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchError(url, f"只接受 http/https 链接（不接受 {scheme or '无协议'}）")
    host = parts.hostname
    if not host:
        raise FetchError(url, "链接中没有主机名")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        raise FetchError(url, "端口号无效") from exc
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(url, f"无法解析主机名 {host}") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise FetchError(url, f"无法解析主机名 {host}")
    if not allow_private:
        for address in addresses:
            if not _public(ipaddress.ip_address(address.split("%")[0])):
                raise FetchError(
                    url,
                    f"拒绝访问本机、内网或链路本地地址 {address}（{host}）；"
                    f"如确需访问，请设置 {ALLOW_PRIVATE_ENV}=1",
                )
    # Connect to the address that was checked, so a second DNS answer cannot swap it.
    return scheme, host, port, addresses[0]


def _media_type(header: str | None) -> tuple[str, str | None]:
    if not header:
        return "", None
    fields = [f.strip() for f in header.split(";")]
    charset = None
    for f in fields[1:]:
        key, _, value = f.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip("\"'").lower()
    return fields[0].lower(), charset


def fetch(
    url: str,
    *,
    policy: FetchPolicy,
    etag: str | None = None,
    last_modified: str | None = None,
    accept: str = "*/*",
) -> Fetched:
    """GET a URL under `policy` (checked again after every redirect); raise FetchError on refusal."""
    import urllib3

    deadline = time.monotonic() + policy.total_timeout
    current = url
    seen: set[str] = set()
    for _hop in range(policy.max_redirects + 1):
        if current in seen:
            raise FetchError(url, f"重定向循环（{current} 再次出现）")
        seen.add(current)
        scheme, host, port, address = resolve(current, allow_private=policy.allow_private)
        parts = urlsplit(current)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        default_port = 443 if scheme == "https" else 80
        headers = {
            "Host": host if port == default_port else f"{host}:{port}",
            "User-Agent": policy.user_agent,
            "Accept": accept,
            "Accept-Encoding": "gzip, deflate",
        }
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError(url, f"超时（超过 {policy.total_timeout:g} 秒）")
        timeout = urllib3.Timeout(
            connect=min(policy.connect_timeout, remaining), read=min(policy.read_timeout, remaining)
        )
        pool: urllib3.HTTPConnectionPool
        if scheme == "https":
            import certifi

            pool = urllib3.HTTPSConnectionPool(
                address,
                port,
                timeout=timeout,
                retries=False,
                cert_reqs="CERT_REQUIRED",
                ca_certs=certifi.where(),
                server_hostname=host,
                assert_hostname=host,
            )
        else:
            pool = urllib3.HTTPConnectionPool(address, port, timeout=timeout, retries=False)
        try:
            response = pool.urlopen(
                "GET",
                target,
                headers=headers,
                redirect=False,
                preload_content=False,
                assert_same_host=False,
            )
        except urllib3.exceptions.TimeoutError as exc:
            raise FetchError(url, "连接或等待响应超时") from exc
        except urllib3.exceptions.HTTPError as exc:
            raise FetchError(url, f"无法连接：{type(exc).__name__}") from exc
        try:
            status = response.status
            if status in _REDIRECTS:
                location = response.headers.get("Location")
                if not location:
                    raise FetchError(url, f"HTTP {status} 重定向没有目标地址", status=status)
                current = urljoin(current, location.strip())
                continue
            if status == 304:
                return Fetched(url, current, status, "", None, b"", etag, last_modified)
            if status >= 400 or status < 200:
                raise FetchError(url, f"服务器返回 HTTP {status}", status=status)
            content_type, charset = _media_type(response.headers.get("Content-Type"))
            body = _read_body(url, response, policy, deadline)
            return Fetched(
                url=url,
                final_url=current,
                status=status,
                content_type=content_type,
                charset=charset,
                body=body,
                etag=response.headers.get("ETag"),
                last_modified=response.headers.get("Last-Modified"),
            )
        finally:
            response.release_conn()
            pool.close()
    raise FetchError(url, f"重定向次数过多（超过 {policy.max_redirects} 次）")


def _read_body(url: str, response: object, policy: FetchPolicy, deadline: float) -> bytes:
    """Read the body in chunks, stopping at the size cap and the overall deadline."""
    import urllib3

    assert isinstance(response, urllib3.BaseHTTPResponse)
    limit = policy.max_bytes
    declared = response.headers.get("Content-Length")
    if declared and declared.strip().isdigit() and int(declared) > limit:
        raise FetchError(url, f"内容太大（{int(declared) // 1024 // 1024} MB，上限 {limit // 1024 // 1024} MB）")
    encoding = (response.headers.get("Content-Encoding") or "").strip().lower()
    # Decompress ourselves, never more than the cap: a small gzip body can hold gigabytes.
    inflate = (
        zlib.decompressobj(zlib.MAX_WBITS | 32)
        if encoding in ("gzip", "x-gzip", "deflate")
        else None
    )
    too_big = FetchError(url, f"内容太大（超过 {limit // 1024 // 1024} MB 上限）")
    chunks: list[bytes] = []
    size = 0
    try:
        while True:
            if time.monotonic() > deadline:
                raise FetchError(url, f"下载超时（超过 {policy.total_timeout:g} 秒）")
            raw = response.read1(_CHUNK, decode_content=False)
            if not raw:
                break
            if inflate is not None:
                chunk = inflate.decompress(raw, limit - size + 1)
                if inflate.unconsumed_tail:
                    raise too_big
            else:
                chunk = raw
            size += len(chunk)
            if size > limit:
                raise too_big
            chunks.append(chunk)
    except zlib.error as exc:
        raise FetchError(url, "压缩内容损坏") from exc
    return b"".join(chunks)
