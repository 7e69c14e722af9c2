import datetime as dt

from stamps import archive
from stamps.fake import FrozenClock, read


def test_restored_events_are_aware():
    record = archive.restore({"event": "boot", "ts": 86_400})
    assert record["at"] == dt.datetime(1970, 1, 2, tzinfo=dt.timezone.utc)


def test_recent_events():
    now = dt.datetime.now(dt.timezone.utc).timestamp()
    assert archive.is_recent({"event": "boot", "ts": now - 5}, 60)
    assert archive.to_utc(archive.restore({"event": "x", "ts": 0})["at"]).year == 1970


def test_a_frozen_clock_is_read_through_its_own_method():
    moment = dt.datetime(2001, 2, 3, 4, 5, 6)
    assert read(FrozenClock(moment)) is moment
