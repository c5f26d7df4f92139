"""The API's JSON parser, bounded before it parses: deeply nested JSON would
otherwise exhaust the recursion limit (a 500) long before validation sees it."""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 32


def json_depth(text: bytes) -> int:
    """The deepest nesting of objects and arrays, ignoring brackets in strings."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in text:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x7B, 0x5B):  # { [
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x7D, 0x5D):  # } ]
            depth -= 1
    return deepest


class BoundedJSONParser(JSONParser):
    """JSON no larger than DATA_UPLOAD_MAX_MEMORY_SIZE and no deeper than
    MAX_DEPTH levels; anything else is a 400 that says which limit it broke."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        body = stream.read(limit + 1) if stream is not None else b""
        if limit is not None and len(body) > limit:
            raise ParseError(
                gettext("The JSON body is larger than %(limit)s bytes.")
                % {"limit": number_format(limit, force_grouping=True)}
            )
        if json_depth(body) > MAX_DEPTH:
            raise ParseError(
                gettext("The JSON body is nested deeper than %(depth)s levels.")
                % {"depth": MAX_DEPTH}
            )
        return super().parse(io.BytesIO(body), media_type, parser_context)
