"""The log formats (LOG_FORMAT): one record per line, as text or as a JSON
object, each with its request id (``correlation_id``). The application's
LOGGING (config/settings.py) and gunicorn's own lines (gunicorn.conf.py)
both write them."""

LOG_FORMATTERS = {
    "text": {
        "format": "%(asctime)s %(levelname)s %(name)s [%(correlation_id)s] %(message)s",
    },
    "json": {
        "()": "pythonjsonlogger.json.JsonFormatter",
        "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
        "rename_fields": {"levelname": "level", "name": "logger", "asctime": "time"},
        "static_fields": {"service": "stagegate"},
    },
}
