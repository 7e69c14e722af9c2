"""A clock for tests: anything with a `utcnow()` method can stand in for the real one."""


class FrozenClock:
    def __init__(self, moment):
        self.moment = moment

    def utcnow(self):
        return self.moment


def read(datetime):
    # `datetime` here is the clock passed in, not the module.
    return datetime.utcnow()
