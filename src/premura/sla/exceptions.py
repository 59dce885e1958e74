"""Errors of the SLA: calendars and policies that cannot work as configured."""

import datetime

from django.utils import formats
from django.utils.translation import gettext as _

from premura.core.exceptions import DomainError


class SlaError(DomainError):
    """A calendar or policy change that cannot be made; the message is safe to show."""


class CalendarNeverOpen(SlaError):
    """The calendar stays closed for more than a year from `day`: no deadline can be computed."""

    def __init__(self, day: datetime.date):
        self.day = day
        super().__init__(
            _("The calendar is closed for more than a year from %(day)s: add opening hours.")
            % {"day": formats.date_format(day, "DATE_FORMAT")}
        )
