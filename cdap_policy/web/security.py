"""What keeps the web application safe by default: response headers (a strict content-security
policy: no script at all, no inline style, nothing from another origin), a bound on the bytes
of a request, CSRF tokens, the address it may listen on, and zip archives opened without
trusting them (entries, sizes, ratios, names).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import stat
import zipfile
from pathlib import Path, PurePosixPath

# no script (the pages work without one), styles from our own /static only, images inline or
# ours, forms posted to ourselves, never framed
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cache-control", b"no-store"),  # pages carry personal data: never in a shared cache
]

MAX_REQUEST_BYTES = 32 * 1024 * 1024
MAX_FILES = 2
MAX_FIELDS = 400
MAX_PART_BYTES = 4 * 1024 * 1024  # one form field (the draft travels in one)
MAX_ZIP_ENTRIES = 500
MAX_ZIP_BYTES = 200 * 1024 * 1024  # all entries, decompressed
MAX_ZIP_RATIO = 200  # decompressed / compressed for one entry: more is a bomb, not a folder of YAML
CSRF_COOKIE = "cdap_csrf"


class TooLarge(Exception):
    pass


class SecurityMiddleware:
    """Adds the headers to every response and refuses a request body over `limit` bytes (413),
    counted as it streams in, whatever Content-Length says."""

    def __init__(self, app, limit: int = MAX_REQUEST_BYTES):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            return await _plain(send, 413, "Requête trop volumineuse / Request too large")
        seen = 0
        started = False

        async def bounded_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise TooLarge()
            return message

        async def send_with_headers(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                names = {name for name, _ in HEADERS}
                message["headers"] = [
                    h for h in message.get("headers", []) if h[0].lower() not in names
                ] + HEADERS
            await send(message)

        try:
            await self.app(scope, bounded_receive, send_with_headers)
        except TooLarge:
            if not started:
                await _plain(send, 413, "Requête trop volumineuse / Request too large")


async def _plain(send, status: int, text: str):
    body = text.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": (
                [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                ]
                + HEADERS
            ),
        }
    )
    await send({"type": "http.response.body", "body": body})


class Csrf:
    """Signed double submit: a random cookie per browser, and in every form the HMAC of it under
    a key that lives only in this process's memory (a restart invalidates old pages, nothing else).
    """

    def __init__(self, key: bytes | None = None):
        self.key = key or secrets.token_bytes(32)

    @staticmethod
    def new_cookie() -> str:
        return secrets.token_urlsafe(24)

    def token(self, cookie: str) -> str:
        return hmac.new(self.key, cookie.encode(), hashlib.sha256).hexdigest()

    def valid(self, cookie: str | None, token: str | None) -> bool:
        if not cookie or not token:
            return False
        return hmac.compare_digest(self.token(cookie), str(token))


def is_loopback(host: str) -> bool:
    """127.0.0.1, ::1, localhost: an address only this machine reaches."""
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class ZipRefused(ValueError):
    """A zip that is not a plain folder of snapshots; args[0] is a {fr, en} reason."""


def extract_zip(data: bytes, target: Path) -> list[Path]:
    """Extract a zip of a folder into `target`, refusing what a folder of snapshots never holds:
    too many entries, absolute or climbing names, links and special files, a decompressed size or
    a compression ratio that betrays a bomb. Sizes are counted while inflating, not taken from
    the archive's own claims."""
    import io

    from cdap_policy.support.i18n import tr

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        raise ZipRefused(tr("archive zip illisible", "unreadable zip archive")) from None
    entries = archive.infolist()
    if len(entries) > MAX_ZIP_ENTRIES:
        raise ZipRefused(
            tr(
                f"plus de {MAX_ZIP_ENTRIES} fichiers dans l'archive",
                f"more than {MAX_ZIP_ENTRIES} files in the archive",
            )
        )
    total, written = 0, []
    for info in entries:
        name = PurePosixPath(info.filename.replace("\\", "/"))
        if name.is_absolute() or ".." in name.parts or not name.parts or ":" in info.filename:
            raise ZipRefused(
                tr(
                    f"nom de fichier refusé dans l'archive : {info.filename[:80]!r}",
                    f"file name refused in the archive: {info.filename[:80]!r}",
                )
            )
        kind = stat.S_IFMT(info.external_attr >> 16)  # 0 when the archiver recorded no Unix type
        if kind and kind not in (stat.S_IFREG, stat.S_IFDIR):
            raise ZipRefused(
                tr(
                    f"lien ou fichier spécial refusé dans l'archive : {info.filename[:80]!r}",
                    f"link or special file refused in the archive: {info.filename[:80]!r}",
                )
            )
        if info.is_dir():
            continue
        if info.flag_bits & 0x1:
            raise ZipRefused(tr("archive chiffrée refusée", "encrypted archive refused"))
        destination = target.joinpath(*name.parts)
        destination.parent.mkdir(parents=True, exist_ok=True)
        inflated = 0
        try:
            with archive.open(info) as source, open(destination, "wb") as sink:
                while True:
                    chunk = source.read(65536)
                    if not chunk:
                        break
                    inflated += len(chunk)
                    total += len(chunk)
                    if total > MAX_ZIP_BYTES or inflated > MAX_ZIP_RATIO * max(
                        info.compress_size, 1024
                    ):
                        raise ZipRefused(
                            tr(
                                "archive refusée : taille décompressée ou taux de compression hors"
                                " limites (bombe zip ?)",
                                "archive refused: decompressed size or compression ratio over the"
                                " limits (zip bomb?)",
                            )
                        )
                    sink.write(chunk)
        except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
            raise ZipRefused(
                tr(
                    f"archive zip illisible ({type(exc).__name__})",
                    f"unreadable zip archive ({type(exc).__name__})",
                )
            ) from None
        written.append(destination)
    return written
