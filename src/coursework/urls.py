"""One redaction policy for every URL the project shows: passwords, bare tokens and the query string hidden."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

HIDDEN = "<redacted>"
_URL = re.compile(r"\w+://[^\s'\"<>]+")  # a URL inside free text (an error line, an alert)


def redact_url(url: str) -> str:
    """The URL as logs, tags, manifests and state files may show it; a file path or journal:PATH as given."""
    if "://" not in url:
        return url  # a path (which may well contain '?') is not a URL
    parts = urlsplit(url)
    userinfo, at, host = parts.netloc.rpartition("@")
    if not at and not parts.query:
        return url  # rebuilding would turn sqlite:/// (an empty host) into sqlite:/
    if not at:
        netloc = parts.netloc
    elif ":" in userinfo:  # user:password: who, not the password
        netloc = f"{userinfo.split(':', 1)[0]}:{HIDDEN}@{host}"
    else:  # a bare userinfo is as often a token (https://TOKEN@host) as a user name: hide it whole
        netloc = f"{HIDDEN}@{host}"
    query = HIDDEN if parts.query else ""  # tokens and signatures travel in query strings
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_urls_in(text: str) -> str:
    """Every URL inside a message (a tool's error line, an alert) redacted as redact_url does."""
    return _URL.sub(lambda m: redact_url(m.group(0)), text)
