"""Expiring named locks in the database, shared by every bot process on it.

One statement per operation, so two processes racing for a lease never both win: the insert of
a free name conflicts on the primary key, and taking over an expired row is a conditional
UPDATE that only one of them can match.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.models import Lease


def new_owner_id() -> str:
    """A name for this process on leases and claims: host, pid and a random tail (a restarted
    process with a reused pid is someone else)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def acquire(s: Session, name: str, owner: str, now: datetime, ttl: timedelta) -> bool:
    """Take or renew `name` for `owner` until now + ttl. False when someone else holds it."""
    res = s.execute(
        update(Lease)
        .where(Lease.name == name, or_(Lease.owner == owner, Lease.expires_at <= now))
        .values(owner=owner, expires_at=now + ttl)
        .execution_options(synchronize_session=False)
    )
    if res.rowcount == 1:
        return True
    try:
        with s.begin_nested():
            s.add(Lease(name=name, owner=owner, acquired_at=now, expires_at=now + ttl))
    except IntegrityError:
        return False  # held by another owner (the UPDATE above did not match)
    return True


def release(s: Session, name: str, owner: str) -> bool:
    res = s.execute(
        delete(Lease)
        .where(Lease.name == name, Lease.owner == owner)
        .execution_options(synchronize_session=False)
    )
    return res.rowcount == 1


def holder(s: Session, name: str, now: datetime) -> Lease | None:
    """The current (unexpired) holder of `name`, if any."""
    row = s.execute(select(Lease).where(Lease.name == name)).scalar_one_or_none()
    if row is None or row.expires_at <= now:
        return None
    s.expunge(row)
    return row
