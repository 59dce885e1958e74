"""Italian dates as Italians write them: "6 giugno 2026", "9 dic", no leading zero on the day and
month names in lower case (Django's own `it` formats write "06 Giugno 2026"). The lower-case names
come from the catalogue (premura/formats/words.py); only what differs from Django's `it` is here.
"""

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"

# Premura's own names (read by premura.core.templatetags.dates): the month abbreviated, for the
# console's dense lists. Italian abbreviates in lower case ("b"); English capitalises ("M").
SHORT_MONTH_DATE_FORMAT = "j b Y"
SHORT_MONTH_DATETIME_FORMAT = "j b Y, H:i"
SHORT_MONTH_DAY_FORMAT = "j b"
SHORT_MONTH_DAY_TIME_FORMAT = "j b, H:i"
