"""The API's hand-built renderings write instants exactly as DRF's DateTimeField does."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings
from django.utils import timezone
from rest_framework import serializers
from rest_framework.settings import api_settings

from tickets.api.serializers import _datetime_out

INSTANTS = [
    datetime.datetime(2026, 11, 25, 9, 30, 15, 123456, tzinfo=datetime.timezone.utc),
    datetime.datetime(2026, 7, 1, 23, 59, tzinfo=ZoneInfo("Europe/Dublin")),  # summer time: +01:00
    datetime.datetime(2026, 3, 29, 1, 0, tzinfo=ZoneInfo("America/New_York")),
    datetime.datetime(2026, 1, 2, 3, 4, 5),  # naive
    None,
]


@pytest.mark.parametrize("zone", [None, "Asia/Tokyo", "Europe/Dublin"])
def test_instants_render_as_drfs_field_renders_them_in_the_current_zone(zone):
    with timezone.override(zone) if zone else timezone.override(timezone.get_default_timezone()):
        field = serializers.DateTimeField()
        at = _datetime_out()
        assert [at(v) for v in INSTANTS] == [field.to_representation(v) for v in INSTANTS]
    assert _datetime_out()(INSTANTS[0]) == "2026-11-25T09:30:15.123456Z"


def test_another_output_format_is_left_to_drf():
    with override_settings(REST_FRAMEWORK={"DATETIME_FORMAT": "%d/%m/%Y %H:%M"}):
        assert api_settings.DATETIME_FORMAT == "%d/%m/%Y %H:%M"
        assert _datetime_out()(INSTANTS[0]) == "25/11/2026 09:30"
