import pytest

from settings.layers import Layers


def test_top_layer_wins():
    layers = Layers()
    layers.push("defaults", {"port": 80, "host": "localhost"})
    layers.push("env", {"port": 8080})
    assert layers.get("port") == 8080
    assert layers.get("host") == "localhost"
    assert layers.names() == ["defaults", "env"]


def test_a_layer_must_be_a_mapping():
    with pytest.raises(TypeError):
        Layers().push("bad", [("port", 1)])
