"""Where a ``terug``/``volgende`` parameter may send the browser: a path of this site only.

Browsers drop tabs and line breaks from a URL and read a backslash as a slash, so
``/\\t/evil.example`` becomes ``//evil.example``, another site. A target is therefore taken
only as it is: it must start with one ``/``, carry no control character, backslash or
whitespace, and have no scheme or host; anything else gives the fallback.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_UNSAFE = re.compile(r"[\x00-\x20\x7f-\x9f\\]")


def same_site_path(target: str | None, fallback: str) -> str:
    """``target`` when it is a path on this site, else ``fallback``."""
    if not target or _UNSAFE.search(target) or not target.startswith("/"):
        return fallback
    if target.startswith("//"):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback
    return target
