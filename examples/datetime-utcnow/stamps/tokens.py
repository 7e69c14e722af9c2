"""Short-lived tokens that carry their expiry time."""

from datetime import datetime, timedelta

LIFETIME = timedelta(minutes=15)


def issue(subject):
    return {"sub": subject, "exp": datetime.utcnow() + LIFETIME}


def expiry_of(claims):
    return datetime.utcfromtimestamp(
        claims["exp_ts"]
    )


def is_expired(token, at=None):
    at = at or datetime.utcnow()
    return token["exp"] <= at
