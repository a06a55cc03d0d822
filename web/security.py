"""Security headers for every response, in one place.

No inline script or style anywhere (the policy allows only this origin), no framing, no
referrer to other sites, no MIME sniffing, HSTS only when the request came over HTTPS, and
no caching of pages: they can carry a dossier number, an access code or health data.
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "object-src 'none'",
])
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Our own forms send their Origin (no-referrer made it "null"); other sites get nothing.
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
HSTS = "max-age=31536000; includeSubDomains"


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the ``Secure`` flag also on every cookie sent
    over HTTPS (behind ``KLACHTEN_PROXY_COUNT`` proxies: the scheme they report), not only
    when ``KLACHTEN_SESSION_COOKIE_SECURE`` says so (issue 25, item 11)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(super().get_cookie_secure(app) or request.is_secure)


def init_app(app: Flask) -> None:
    app.session_interface = SessionInterface()
    app.after_request(add_headers)


def add_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
    return response
