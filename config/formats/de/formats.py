"""Date and time formats in German (de): the same names as
config/formats/en_GB/formats.py, in German order (3. Dez. 2026). Anything not
set here falls back to Django's own de formats (decimal comma, thousands dot)."""

DATE_FORMAT = "j. N Y"  # 3. Dez. 2026
DATETIME_FORMAT = "j. N Y, H:i"  # 3. Dez. 2026, 14:05
TIME_FORMAT = "H:i"  # 14:05
MONTH_DAY_FORMAT = "j. N"  # 3. Dez.
SHORT_DATE_FORMAT = "d.m.Y"  # 03.12.2026
SHORT_DATETIME_FORMAT = "d.m.Y H:i"  # 03.12.2026 14:05
# A date field's widget shows its value in the first of these: browsers'
# <input type="date"> only read ISO dates.
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d.%m.%Y", "%d.%m.%y"]
