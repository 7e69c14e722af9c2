import datetime as dt

from stamps import clock


def test_now_is_aware_and_in_utc():
    moment = clock.now()
    assert moment.tzinfo is not None
    assert moment.utcoffset() == dt.timedelta(0)


def test_stamp_carries_the_offset():
    assert clock.stamp("boot")["at"].endswith("+00:00")


def test_age_of_an_aware_moment():
    moment = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=30)
    assert 29 <= clock.age_in_seconds(moment) < 60
