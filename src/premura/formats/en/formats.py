"""English as written in Europe, where the shops and most of their English-speaking customers are:
day before month and a 24-hour clock (Django's own `en` formats are American: "Nov. 3, 2026, 2 p.m.").
"""

DATE_FORMAT = "j F Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j F Y, H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
FIRST_DAY_OF_WEEK = 1  # Monday
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%d/%m/%y", "%Y-%m-%d"]
DATETIME_INPUT_FORMATS = [
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
]
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3

# Premura's own names (read by premura.core.templatetags.dates): the month abbreviated.
SHORT_MONTH_DATE_FORMAT = "j M Y"
SHORT_MONTH_DATETIME_FORMAT = "j M Y, H:i"
SHORT_MONTH_DAY_FORMAT = "j M"
SHORT_MONTH_DAY_TIME_FORMAT = "j M, H:i"
