"""The log's clock: when an event happened, in UTC."""

import datetime

# Every stamp is in UTC; utcnow() was the way to get one when this was written.
EPOCH_LABEL = "1970-01-01T00:00:00Z"


def now():
    return datetime.datetime.utcnow()


def stamp(event):
    return {"event": event, "at": now().isoformat()}


def age_in_seconds(moment):
    return (datetime.datetime.utcnow() - moment).total_seconds()
