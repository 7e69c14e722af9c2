from settings.merge import merge, merge_all
from settings.store import Store, is_settings
from settings.views import grouped, keys_of


def test_store_records_changes():
    store = Store({"a": 1})
    store["b"] = 2
    del store["a"]
    assert dict(store) == {"b": 2}
    assert store.changed == {"a", "b"}
    assert is_settings(store)


def test_merge_nested():
    into = Store({"db": Store({"host": "x"})})
    merge_all(into, [{"db": {"port": 5432}}, {"debug": True}])
    assert dict(into["db"]) == {"host": "x", "port": 5432}
    assert into["debug"] is True
    assert merge(Store(), {"a": 1})["a"] == 1


def test_views():
    assert keys_of({"b": 1, "a": 2}) == ["a", "b"]
    assert grouped([("x", 1), ("x", 2)]) == {"x": [1, 2]}
