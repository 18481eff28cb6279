from __future__ import annotations

from django.test import override_settings

from perfkit.conf import SPECS, perfkit_settings


def test_defaults_when_unset(settings):
    del settings.PERFKIT
    assert perfkit_settings.ACTION == "log"
    assert perfkit_settings.SLOW_QUERY_MS == 100.0
    assert perfkit_settings.QUERY_BUDGET is None


def test_settings_are_read_at_call_time():
    with override_settings(PERFKIT={"ACTION": "raise", "QUERY_BUDGET": 7}):
        assert perfkit_settings.ACTION == "raise"
        assert perfkit_settings.QUERY_BUDGET == 7
    assert perfkit_settings.ACTION == "log"


def test_a_bad_value_falls_back_to_the_default_at_run_time():
    with override_settings(PERFKIT={"ACTION": "explode", "SLOW_QUERY_MS": "fast"}):
        assert perfkit_settings.ACTION == "log"
        assert perfkit_settings.SLOW_QUERY_MS == 100.0


def test_every_key_is_a_typed_attribute_read_by_its_own_name():
    assert len(SPECS) == 27
    for name, setting in SPECS.items():
        assert setting.name == name
        assert getattr(type(perfkit_settings), name) is setting


def test_values_are_kept_until_django_says_perfkit_changed(settings):
    settings.PERFKIT = {"SLOW_QUERY_MS": 5}
    assert perfkit_settings.SLOW_QUERY_MS == 5.0
    settings.PERFKIT = {"SLOW_QUERY_MS": 7}  # pytest-django sends setting_changed
    assert perfkit_settings.SLOW_QUERY_MS == 7.0
    with override_settings(PERFKIT={}):
        assert perfkit_settings.SLOW_QUERY_MS == 100.0
    assert perfkit_settings.SLOW_QUERY_MS == 7.0
