"""Errors under /api/ that happen outside an operation (no such path, wrong method, a crash in the
middleware stack) become the same JSON error object as every other API error."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger("corridor.api")

CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "not_allowed",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    414: "uri_too_long",
    417: "expectation_failed",
    422: "invalid_input",
    429: "rate_limited",
    431: "headers_too_large",
    500: "server_error",
    501: "not_implemented",
}
MESSAGES = {
    404: "no such API path; see /api/docs",
    405: "this path does not take that method; see /api/docs",
    500: "the server could not complete the request; it has been logged",
}


def _error(status: int, message: str) -> JsonResponse:
    body = {
        "error": {
            "status": status,
            "code": CODES.get(status, "refused"),
            "message": message,
            "field": None,
            "details": None,
            "reason": None,
            "values": None,
        }
    }
    return JsonResponse(body, status=status)


class ApiErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/api/") or response.status_code < 400:
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        message = MESSAGES.get(response.status_code) or response.reason_phrase or "refused"
        replacement = _error(response.status_code, message)
        for header, value in response.items():
            # Keep what the other layers added (security headers, Allow, Retry-After…), not the old body's.
            if header.lower() not in ("content-type", "content-length"):
                replacement[header] = value
        return replacement

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not request.path.startswith("/api/"):
            return None
        if isinstance(exception, RequestDataTooBig):
            return _error(413, f"the request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes")
        if isinstance(exception, SuspiciousOperation):
            return _error(400, "the request was refused as malformed")
        logger.error("API error on %s %s", request.method, request.path, exc_info=exception)
        return _error(500, MESSAGES[500])
