"""One date format and one date-and-time format per language, asked one way everywhere.

Python: ``format_date(value)`` and ``format_datetime(value)``; templates: ``{{ value|local_date }}``
and ``{{ value|local_datetime }}`` (built in: no ``{% load %}``). The formats themselves are
``stockdata/formats/<lang>/formats.py`` (``FORMAT_MODULE_PATH``): "7 Dec 2026" and
"7 Dec 2026, 13:05" in English, "2026年12月7日" and "2026年12月7日 13:05" in Japanese; times
are on the 24-hour clock in both, in the site's time zone. Machine-readable dates
(``<time datetime>``, CSV, ISO in APIs) are not this helper's business.
"""

from __future__ import annotations

import datetime

from django import template
from django.utils import formats, timezone

register = template.Library()


def format_date(value: datetime.date | datetime.datetime | None) -> str:
    """``value``'s day in the active language ("" for None); a datetime is taken in the local time zone."""
    if value in (None, ""):
        return ""
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, "DATE_FORMAT")


def format_datetime(value: datetime.datetime | None) -> str:
    """``value``'s day and time (24-hour, local time zone) in the active language ("" for None)."""
    if value in (None, ""):
        return ""
    if not isinstance(value, datetime.datetime):
        return format_date(value)
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, "DATETIME_FORMAT")


register.filter("local_date", format_date, expects_localtime=False)
register.filter("local_datetime", format_datetime, expects_localtime=False)
