import datetime as dt

from stamps import tokens


def test_issued_tokens_expire_in_utc():
    token = tokens.issue("ada")
    assert token["exp"].tzinfo is not None
    assert not tokens.is_expired(token)


def test_expiry_from_a_timestamp_is_aware():
    moment = tokens.expiry_of({"exp_ts": 0})
    assert moment == dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def test_expired_at_a_later_aware_time():
    token = tokens.issue("ada")
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)
    assert tokens.is_expired(token, at=later)
