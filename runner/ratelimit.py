"""Rate limits counted in ``rate_limit_events``: failed logins, status page look-ups and
public-form submissions, shared by every web process.

A key is a kind of event and a hashed value (:func:`event_key`), for instance a client
address counted per subscriber (:func:`client_identity`: an IPv6 address per /64). A key
with ``attempts`` events within ``window`` is refused until the oldest leaves the window;
a target under attack refuses only clients that failed (:func:`check_limit`, ADR 8).
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from runner.bpmn.clock import as_utc
from runner.errors import RateLimited
from runner.store import RateLimitEvent

_MAX_INPUT = 100  # a client address longer than this is cut


@dataclass(frozen=True)
class RateLimit:
    attempts: int = 10
    window: timedelta = timedelta(minutes=15)


def check_limit(session: Session, client: str, target: str, limit: RateLimit,
                now: datetime) -> None:
    """Raise :class:`RateLimited` for a ``client`` key that used up its failures in the
    window, or that failed at all while its ``target`` key (a dossier number, a user name)
    is under attack: ``limit.attempts`` failures on it from any address. A client without
    failures may always try, so nobody can lock a member or a mediator out; a guesser spread
    over many addresses gets one try per address per window on a target under attack
    (ADR 8)."""
    rows = {key: (count, first, last) for key, count, first, last in session.execute(
        select(RateLimitEvent.key, func.count(), func.min(RateLimitEvent.at),
               func.max(RateLimitEvent.at))
        .where(RateLimitEvent.key.in_((client, target)), RateLimitEvent.at > now - limit.window)
        .group_by(RateLimitEvent.key)).all()}
    failures, first, last = rows.get(client, (0, None, None))
    attacked = rows.get(target, (0, None, None))[0] >= limit.attempts
    if failures >= limit.attempts and first is not None:
        # open again when its oldest failure has left the window
        lifts = as_utc(first) + limit.window
    elif failures and attacked and last is not None:
        # open again when its last failure has left the window
        lifts = as_utc(last) + limit.window
    else:
        return
    raise RateLimited(int((lifts - now).total_seconds()) + 1)


def record_failures(session: Session, keys: tuple[str, ...], limit: RateLimit,
                    now: datetime) -> None:
    """Count one event per key; prune the events of the same kinds (``status:adres:``) that
    left the window (each kind has its own window)."""
    session.execute(insert(RateLimitEvent), [{"key": key, "at": now} for key in keys])
    for kind in {key.rsplit(":", 1)[0] + ":" for key in keys}:
        session.execute(delete(RateLimitEvent).where(RateLimitEvent.key.startswith(kind),
                                                     RateLimitEvent.at <= now - limit.window))


def wait_for_quota(session: Session, key: str, limit: RateLimit, now: datetime) -> int:
    """Seconds until ``key`` may be used again when it used its ``limit.attempts`` events in
    the window (0: it may now)."""
    count, oldest = session.execute(
        select(func.count(), func.min(RateLimitEvent.at))
        .where(RateLimitEvent.key == key, RateLimitEvent.at > now - limit.window)).one()
    if count < limit.attempts:
        return 0
    return int((as_utc(oldest) + limit.window - now).total_seconds()) + 1


def event_key(kind: str, value: str, prefix: str = "status") -> str:
    """The stored key of an event: ``prefix:kind:`` and the value hashed."""
    return f"{prefix}:{kind}:{hashlib.sha256(value.encode()).hexdigest()[:40]}"


def client_identity(client: str) -> str:
    """Who a client address counts as: IPv4 per address, IPv6 per /64 (one subscriber's
    whole block); anything else cut to a bounded length."""
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return client[:_MAX_INPUT]
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def client_key(client: str, prefix: str = "status") -> str:
    """The key of a client address's events (:func:`client_identity`)."""
    return event_key("adres", client_identity(client), prefix)
