"""The window's name: the configured one, else the village's own from the registry the unit
ships with; the generic 便民服务站 only for a unit the registry does not know."""

from edge.window.village import GENERIC, window_name


def test_a_known_village_is_named_and_a_configured_name_wins():
    assert window_name("dongjie-cun") == "清水镇东街村便民服务站"
    assert window_name("dongjie-cun", "南岭村便民服务点") == "南岭村便民服务点"
    assert window_name("t999") == GENERIC
