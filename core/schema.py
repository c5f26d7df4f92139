"""The API schema's error responses, written once for every operation.

``DocumentedErrorsSchema`` is the project's DEFAULT_SCHEMA_CLASS. After drf-spectacular
has built an operation, it documents the errors that operation can give,
each as the ``Error`` component (the one shape ``core.api_errors`` answers):

- 400 where the operation takes a body or query parameters other than
  ``page``; 415 where it takes a body (a content type no parser reads);
- 401 and 403 unless every permission of the view is ``AllowAny``;
- 404 where the path names a row, or a page number can run past the end;
- 429, with ``Retry-After``, where the view throttles the method;
- 503, with ``Retry-After``, everywhere: a service the request needed did
  not answer (the database; the object store; Redis where the cache is;
  ``core.api_errors``), the request may be sent again;
- any other error a view declares itself (409 where its service refuses a
  transition), with the view's description.

A view whose error body carries more than the one shape names the
serializer per status in ``error_serializers`` (a subclass of
``ErrorSerializer``: the shape plus its own fields).

A view never repeats these; it declares only what is particular to it.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny

ERROR_DESCRIPTIONS = {
    400: "Invalid input: `detail`, with a message per field in `fields`.",
    401: "Not signed in, or the credentials are no longer valid.",
    403: "You may not do this; or, without a session, you are not signed in.",
    404: "Unknown, or not visible to you.",
    409: "Refused in the current state: `detail` and the `reasons`.",
    415: "The body is in a content type this operation does not read.",
    429: "Too many requests: wait the seconds `Retry-After` names.",
    503: "A service the request needs did not answer (the database; the object store, for "
    "files; Redis, where the cache is kept): send the request again after `Retry-After` "
    "seconds.",
}
RETRY_AFTER_CODES = {429, 503}

# A download's answer when the deployment hands files to its object store
# (core.storage.stored_file_response).
DOWNLOAD_REDIRECT = OpenApiResponse(
    description="Only where the server sets `S3_DOWNLOAD_URL_SECONDS`: the file is at the "
    "`Location` header, a link to the object store signed for that many seconds that "
    "answers the same attachment. Follow it without this API's credentials."
)


class ErrorSerializer(serializers.Serializer):
    """Every error the API answers: 4xx and 5xx alike."""

    detail = serializers.CharField(help_text="What went wrong, in a sentence.")
    reasons = serializers.ListField(
        child=serializers.CharField(),
        help_text="Why the request was refused (what is missing, who has not approved), "
        "or what is wrong with the input as a whole. May be empty.",
    )
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per input field; a nested field is named with dots "
        "(`scores.0.score`). Empty unless the input was refused.",
    )


class DocumentedErrorsSchema(AutoSchema):
    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        component = self.resolve_serializer(ErrorSerializer, "response")
        error = {"application/json": {"schema": component.ref}}
        particular = getattr(self.view, "error_serializers", {})
        responses = operation["responses"]
        codes = self.error_codes(operation) | {
            int(code) for code in responses if code[0] in "45" and code.isdigit()
        }
        for code in sorted(codes):
            declared = responses.get(str(code), {})
            content = error
            if code in particular:
                own = self.resolve_serializer(particular[code], "response")
                content = {"application/json": {"schema": own.ref}}
            response: dict[str, Any] = {
                "content": content,
                "description": declared.get("description") or ERROR_DESCRIPTIONS.get(code, ""),
            }
            if code in RETRY_AFTER_CODES:
                response["headers"] = {
                    "Retry-After": {
                        "schema": {"type": "integer", "minimum": 0},
                        "description": "Seconds until a request may be sent again.",
                    }
                }
            responses[str(code)] = response
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def error_codes(self, operation: dict[str, Any]) -> set[int]:
        """The errors any operation like this one can give, whatever the view."""
        query = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        has_path_ids = any(p["in"] == "path" for p in operation.get("parameters", []))
        has_body = "requestBody" in operation
        codes = {503}
        if has_body or query - {"page"}:
            codes.add(400)
        if has_body:
            codes.add(415)
        if not all(issubclass(p, AllowAny) for p in self.view.permission_classes):
            codes |= {401, 403}
        if has_path_ids or "page" in query:
            codes.add(404)
        # The view's own answer for this method (the schema's view carries a
        # request of the operation's method): a throttle may count POSTs only.
        if self.view.get_throttles():
            codes.add(429)
        return codes
