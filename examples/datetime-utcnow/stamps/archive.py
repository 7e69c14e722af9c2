"""Archived events: read back from their stored POSIX timestamps."""

from datetime import datetime as dt, timezone

HELP = "timestamps are stored as seconds since the epoch, as dt.utcfromtimestamp(ts) reads them"


def restore(record):
    return {"event": record["event"], "at": dt.utcfromtimestamp(record["ts"])}


def is_recent(record, horizon_seconds):
    stored = restore(record)["at"]
    return (dt.utcnow() - stored).total_seconds() < horizon_seconds


def to_utc(moment):
    return moment.astimezone(timezone.utc)
