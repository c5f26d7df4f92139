"""Date and time formats in English (en-gb): the named formats that templates
use (``|date:"DATE_FORMAT"``), in the order this project has always shown.
Anything not set here falls back to Django's own en_GB formats."""

DATE_FORMAT = "j M Y"  # 3 Dec 2026
DATETIME_FORMAT = "j M Y H:i"  # 3 Dec 2026 14:05
TIME_FORMAT = "H:i"  # 14:05
MONTH_DAY_FORMAT = "j M"  # 3 Dec
SHORT_DATE_FORMAT = "Y-m-d"  # 2026-12-03
SHORT_DATETIME_FORMAT = "Y-m-d H:i"  # 2026-12-03 14:05
# A date field's widget shows its value in the first of these: browsers'
# <input type="date"> only read ISO dates.
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y"]
