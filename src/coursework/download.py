"""download: a URL source, https only, pinned by its sha256, streamed under a size cap; secrets kept out of records."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests
from tenacity import RetryCallState

from coursework.errors import SourceError
from coursework.fsutil import atomic_path
from coursework.retrying import RetryPolicy, fetch_retrying
from coursework.urls import redact_url

MAX_MB_ENV = "COURSEWORK_MAX_DOWNLOAD_MB"
DEFAULT_MAX_MB = 200
CHUNK = 1 << 20
SHA256 = re.compile(r"[0-9a-fA-F]{64}")
log = logging.getLogger(__name__)


def is_url(source: str) -> bool:
    return source.lower().startswith(("http://", "https://"))


def parse_source(source: str) -> tuple[str, str]:
    """(url, sha256) of `https://...#sha256=<hex>`; refused before any network call otherwise."""
    url, _, sha256 = source.partition("#sha256=")
    shown = redact_url(url)
    if not url.lower().startswith("https://"):
        raise SourceError(f"{shown}: plain http is refused (nothing proves what it sends); use an https:// URL")
    if not SHA256.fullmatch(sha256):
        raise SourceError(f"{shown}: a URL source needs its checksum: {shown}#sha256=<64 hex digits>")
    return url, sha256.lower()


def max_bytes() -> int:
    """The download cap: COURSEWORK_MAX_DOWNLOAD_MB (default 200)."""
    raw = os.environ.get(MAX_MB_ENV, str(DEFAULT_MAX_MB))
    try:
        value = float(raw)
    except ValueError:
        raise SourceError(f"{MAX_MB_ENV}={raw!r} is not a number of megabytes") from None
    if value <= 0:
        raise SourceError(f"{MAX_MB_ENV} must be above 0, not {raw}")
    return int(value * 1024 * 1024)


def _worth_retrying(exc: BaseException) -> bool:
    """A dropped connection, a timeout or a server error may pass; a 4xx answer will not."""
    status = getattr(getattr(exc, "response", None), "status_code", None)
    return isinstance(exc, requests.RequestException) and not (status and status < 500)


def _sleep(seconds: float) -> None:
    time.sleep(seconds)  # looked up at each wait, so a test can skip the waits


def _say_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    status = getattr(getattr(exc, "response", None), "status_code", None)
    why = f"HTTP {status}" if status else type(exc).__name__  # the exception's text may quote the full URL
    log.warning("download failed (%s, attempt %d); trying again in %.1f s", why, state.attempt_number,
                state.upcoming_sleep)


def _stream(url: str, target: Path, limit: int) -> str:
    """Stream `url` into `target`, stopping past `limit` bytes; the sha256 of what arrived."""
    digest, size = hashlib.sha256(), 0
    with requests.get(url, stream=True, timeout=60) as response:
        response.raise_for_status()
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise SourceError(f"{redact_url(url)}: {int(declared)} bytes is over the download cap of {limit} bytes "
                              f"(set {MAX_MB_ENV} to allow more)")
        with target.open("wb") as fh:
            for chunk in response.iter_content(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise SourceError(f"{redact_url(url)}: more than {limit} bytes, over the download cap "
                                      f"(set {MAX_MB_ENV} to allow more)")
                digest.update(chunk)
                fh.write(chunk)
    return digest.hexdigest()


def fetch_url(source: str, dest_dir: Path, retries: RetryPolicy | None = None) -> Path:
    """Download `https://...#sha256=<hex>` (retrying with back-off) and check it before anyone reads it."""
    url, sha256 = parse_source(source)
    return fetch_checked(url, sha256, dest_dir, retries or RetryPolicy())


def fetch_checked(url: str, sha256: str, dest_dir: Path, retries: RetryPolicy) -> Path:
    """The fetch below the https check: stream `url` (retries.fetch more tries if transient), check its sha256."""
    limit = max_bytes()
    target = Path(dest_dir) / (Path(urlsplit(url).path).name or "download.csv")
    attempts = fetch_retrying(retries, worth=_worth_retrying, sleep=lambda s: _sleep(s), before_sleep=_say_retry)
    with atomic_path(target) as tmp:  # a cut or refused download never lands under its name
        try:
            digest = attempts(_stream, url, tmp, limit)
        except requests.RequestException as exc:  # its text may quote the full URL: name the kind only
            status = getattr(exc.response, "status_code", None)
            tries = retries.fetch + 1 if _worth_retrying(exc) else 1
            raise SourceError(f"could not download {redact_url(url)}: "
                              f"{f'HTTP {status}' if status else type(exc).__name__} "
                              f"({tries} attempt{'s' if tries > 1 else ''}; retries.fetch in params.yaml sets how many)"
                              ) from None
        if digest != sha256:
            raise SourceError(f"{redact_url(url)}: sha256 {digest} does not match the expected {sha256}")
    return target
