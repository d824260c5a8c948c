"""The API's plumbing: token authentication, rate limits, one error object, pagination, write receipts.

Endpoints are thin: they parse (django-ninja and :mod:`corridor.api.schemas`), call one service, and
return what it made together with the ledger entry it appended. Every refusal, whatever raised it,
leaves as the same JSON error object (:class:`corridor.api.schemas.ErrorOut`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, Protocol, TypeVar

from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import caches
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext_noop as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError
from ninja.openapi.docs import Swagger
from ninja.operation import Operation
from ninja.parser import Parser
from ninja.security import HttpBearer
from ninja.throttling import AnonRateThrottle, UserRateThrottle
from pydantic import Field

from corridor import jsonlimits, refusals
from corridor.accounts import tokens
from corridor.accounts.models import ApiToken
from corridor.accounts.roles import ROLE_CAPABILITIES, Can, Role, refusal, roles_of
from corridor.errors import Conflict, CorridorError, InvalidInput, NotAllowed, NotFound
from corridor.ledger.models import Entry
from corridor.register.crypto import IdentityKeyError

from .schemas import EntryRef, ErrorOut

logger = logging.getLogger("corridor.api")

ERROR_STATUSES = frozenset({400, 401, 403, 404, 409, 413, 422, 429})
T = TypeVar("T")


# django-ninja wraps each status's schema in a class of its own, for every operation: the eight error
# statuses of some ninety operations made some 750 identical classes, each with its compiled validator and
# serializer (about 5 MB in every server process). The wrapper holds nothing of the operation (it only
# validates and serializes ``{"response": …}``), so one per schema class serves them all.
_ninja_response_model = Operation._create_response_model
_response_models: dict[type, Any] = {}


def _shared_response_model(self: Operation, response_param: Any) -> Any:
    if not isinstance(response_param, type):  # list[X], unions…: new objects each time, wrapped as before
        return _ninja_response_model(self, response_param)
    if response_param not in _response_models:
        _response_models[response_param] = _ninja_response_model(self, response_param)
    return _response_models[response_param]


Operation._create_response_model = _shared_response_model  # type: ignore[method-assign]


class _RateFromSettings:
    """Take the rate from ``settings.API_RATE_LIMIT`` at each request, so that it can be changed in tests,
    and count in the worker's own memory (the ``api-throttle`` cache)."""

    cache = caches["api-throttle"]
    rate: str | None
    num_requests: int | None
    duration: int | None

    def allow_request(self, request: HttpRequest) -> bool:
        rate = settings.API_RATE_LIMIT
        if rate != self.rate:
            self.rate = rate
            self.num_requests, self.duration = self.parse_rate(rate)  # type: ignore[attr-defined]
        allowed: bool = super().allow_request(request)  # type: ignore[misc]
        return allowed


class PerUserRate(_RateFromSettings, UserRateThrottle):
    """Requests per user (every token of a user shares the allowance)."""


class FailuresPerAddress(_RateFromSettings, AnonRateThrottle):
    """Failed authentications per client address."""


class TokenAuth(HttpBearer):
    """``Authorization: Bearer cor_…``. A token whose user has no role authenticates but may do nothing."""

    openapi_description = "A personal API token (`corridor tokens issue`), sent as `Authorization: Bearer cor_…`."

    def __init__(self) -> None:
        super().__init__()
        # Failed attempts count against the caller's address, so guessing tokens is slow as well as futile.
        self.failures = FailuresPerAddress(settings.API_RATE_LIMIT)

    def __call__(self, request: HttpRequest) -> Any:
        result = super().__call__(request)
        if result is None and not self.failures.allow_request(request):
            raise Throttled(wait=int(self.failures.wait() or 1))
        return result

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = tokens.authenticate(token)
        if found is None:
            return None
        request.user = found.user
        return found


class Requires(TokenAuth):
    """Token authentication for a write, refused (403) unless the caller's role holds ``capability``.

    Authentication runs before django-ninja reads the body, so an unauthorised caller learns nothing
    about the input it sent: it gets 403 whether the body is valid, malformed or too large. Every write
    route declares its capability this way (``auth=requires(Can.X)``); a test walks them all.
    """

    def __init__(self, capability: Can) -> None:
        super().__init__()
        self.capability = capability

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = super().authenticate(request, token)
        if found is None:
            return None
        roles = roles_of(found.user)
        request.corridor_roles = roles  # type: ignore[attr-defined]
        if not roles:
            raise NotAllowed(_("your account has no role, so it may do nothing"), code="role.none")
        if not any(self.capability in ROLE_CAPABILITIES[role] for role in roles):
            raise refusal(self.capability)
        return found


def requires(capability: Can) -> Requires:
    """The ``auth`` of a write route: a valid token whose role may ``capability``."""
    return Requires(capability)


class LimitedParser(Parser):
    """Request bodies as JSON, refused before parsing when nested deeper than ``jsonlimits.MAX_DEPTH``."""

    def parse_body(self, request: HttpRequest) -> Any:
        return jsonlimits.loads(request.body)


def user_of(request: HttpRequest) -> User:
    auth: ApiToken = request.auth  # type: ignore[attr-defined]
    return auth.user


def roles_in(request: HttpRequest) -> set[Role]:
    """The caller's roles, read once per request."""
    roles: set[Role] | None = getattr(request, "corridor_roles", None)
    if roles is None:
        roles = roles_of(user_of(request))
        request.corridor_roles = roles  # type: ignore[attr-defined]
    return roles


def reader(request: HttpRequest) -> User:
    """The caller, who must hold a role to read anything (pseudonymous data only)."""
    if not roles_in(request):
        raise NotAllowed(_("your account has no role, so it may read nothing"), code="role.none")
    return user_of(request)


def allowed(request: HttpRequest, capability: Can) -> bool:
    return any(capability in ROLE_CAPABILITIES[role] for role in roles_in(request))


def acting(request: HttpRequest, capability: Can) -> User:
    """The caller, checked for ``capability`` here as well as in the service it is about to call."""
    user = reader(request)
    if not allowed(request, capability):
        raise refusal(capability)
    return user


def recorded(action: Callable[[], T]) -> tuple[T, EntryRef]:
    """Run a service and return its result with the last ledger entry it appended.

    The outer transaction keeps the ledger's append lock (SQLite's write lock, PostgreSQL's
    transaction-level advisory lock) until it commits, so the head read here is this action's entry.
    """
    with transaction.atomic():
        before = _head()
        result = action()
        after = _head()
        if after is None or (before is not None and after[0] <= before[0]):  # pragma: no cover - guards a bug
            raise RuntimeError("the action wrote no ledger entry")
    return result, EntryRef(seq=after[0], hash=after[1], type=after[2])


def ref(entry: Entry) -> EntryRef:
    """The reference to an entry a service returned (its type read from the body: an entry just appended
    has no generated columns loaded)."""
    return EntryRef(seq=entry.seq, hash=entry.hash, type=entry.fields["type"])


def _head() -> tuple[int, str, str] | None:
    return Entry.objects.order_by("-seq").values_list("seq", "hash", "type").first()


class Page(Schema):
    limit: int = Field(50, ge=1, le=500, description="items per page (at most 500)")
    offset: int = Field(0, ge=0, le=10_000_000)


class Window(Protocol):
    """Where a page starts and how many items it holds: a :class:`Page`, or a query with limits of its own."""

    @property
    def limit(self) -> int: ...

    @property
    def offset(self) -> int: ...


def page_of(queryset: QuerySet[Any] | Iterable[Any], page: Window, convert: Callable[[Any], Any]) -> dict[str, Any]:
    """One page of ``queryset``: {items, count, limit, offset}."""
    if isinstance(queryset, QuerySet):
        count = queryset.count()
        items = [convert(o) for o in queryset[page.offset : page.offset + page.limit]]
    else:
        rows = list(queryset)
        count = len(rows)
        items = [convert(o) for o in rows[page.offset : page.offset + page.limit]]
    return {"items": items, "count": count, "limit": page.limit, "offset": page.offset}


def responses(ok: Any, status: int = 200) -> dict[Any, Any]:
    """The response map of an operation: its success schema and the error object for every refusal."""
    return {status: ok, ERROR_STATUSES: ErrorOut}


# ------------------------------------------------------------------------------------------------ errors


def error_response(
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
    *,
    field: str | None = None,
    details: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    reason: str | None = None,
    values: dict[str, Any] | None = None,
) -> HttpResponse:
    # ``reason`` and ``values``: a service's refusal's own code and values, beside the kind of error.
    error = {"status": status, "code": code, "message": message, "field": field, "details": details}
    body = {"error": {**error, "reason": reason, "values": values if reason is not None else None}}
    response = api.create_response(request, body, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


# What the schema's checks find, by pydantic's type of error, in words the catalogues translate; the
# values come from the check (``le`` of ``Field(le=34)``). A type not here is said in pydantic's English.
_SCHEMA_WORDS: dict[str, str] = {
    "missing": _("is required"),
    "extra_forbidden": _("is not a field this request takes"),
    "less_than_equal": _("must be at most %(le)s"),
    "less_than": _("must be less than %(lt)s"),
    "greater_than_equal": _("must be at least %(ge)s"),
    "greater_than": _("must be more than %(gt)s"),
    "string_too_long": _("must be at most %(max_length)s characters long"),
    "string_too_short": _("must be at least %(min_length)s characters long"),
    "too_long": _("must hold at most %(max_length)s items"),
    "too_short": _("must hold at least %(min_length)s items"),
    "string_pattern_mismatch": _("is not written the way this field is"),
    "int_parsing": _("must be a whole number"),
    "int_type": _("must be a whole number"),
    "int_from_float": _("must be a whole number"),
    "float_parsing": _("must be a number"),
    "float_type": _("must be a number"),
    "finite_number": _("must be a number"),
    "bool_parsing": _("must be true or false"),
    "bool_type": _("must be true or false"),
    "string_type": _("must be text"),
    "date_parsing": _("must be a date written YYYY-MM-DD"),
    "date_type": _("must be a date written YYYY-MM-DD"),
    "date_from_datetime_parsing": _("must be a date written YYYY-MM-DD"),
    "date_from_datetime_inexact": _("must be a date written YYYY-MM-DD"),
    "datetime_parsing": _("must be a date and time with its offset from UTC (2014-10-13T08:00:00+03:00)"),
    "datetime_type": _("must be a date and time with its offset from UTC (2014-10-13T08:00:00+03:00)"),
    "datetime_from_date_parsing": _("must be a date and time with its offset from UTC (2014-10-13T08:00:00+03:00)"),
    "literal_error": _("must be one of %(expected)s"),
    "enum": _("must be one of %(expected)s"),
    "dict_type": _("must be an object"),
    "model_type": _("must be an object"),
    "model_attributes_type": _("must be an object"),
    "list_type": _("must be a list"),
}


def _schema_words(problem: dict[str, Any]) -> str:
    """A schema check's finding in the caller's language, or pydantic's English for one not worded here."""
    template = _SCHEMA_WORDS.get(str(problem.get("type", "")))
    context = problem.get("ctx") or {}
    if template is None:
        return str(problem.get("msg", "invalid input"))
    try:
        values: dict[str, Any] = {
            k: v for k, v in context.items() if isinstance(v, int | float | str) and not isinstance(v, bool)
        }
        return refusals.in_language(InvalidInput(template, **values))
    except (KeyError, TypeError, ValueError):  # a check whose values the template does not name
        return str(problem.get("msg", "invalid input"))


def _validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    details = []
    for problem in exc.errors:
        # Only location, message and type: pydantic's context may hold objects that are not JSON.
        location = [str(part) for part in problem.get("loc", ())]
        details.append({"loc": location, "msg": str(problem.get("msg", "")), "type": str(problem.get("type", ""))})
    first = details[0] if details else {"loc": [], "msg": "invalid input"}
    location = list(first["loc"])
    # ["body", "data", "identity", "full_name"] names the field identity.full_name: drop where it was
    # sent and, for a body, the endpoint's own parameter name.
    parts = location[2:] if location[:1] == ["body"] else location[1:]
    field = ".".join(parts) or None
    # ``message`` in the caller's language; ``details`` keep pydantic's English and type for a client.
    said = _schema_words(exc.errors[0]) if exc.errors else "invalid input"
    message = f"{field}: {said}" if field else said
    return error_response(request, 422, "invalid_input", message, field=field, details=details)


def _corridor_error(request: HttpRequest, exc: CorridorError) -> HttpResponse:
    """The refusal in the caller's language, with its code and values for a client that words it itself."""
    said = refusals.as_json(exc)
    if isinstance(exc, InvalidInput):
        message = f"{exc.field}: {refusals.in_language(exc)}" if exc.field else refusals.in_language(exc)
        return error_response(request, 422, "invalid_input", message, field=exc.field, **said)
    status, kind = next(
        ((s, k) for cls, s, k in _KINDS if isinstance(exc, cls)),
        (422, "refused"),
    )
    return error_response(request, status, kind, refusals.in_language(exc), **said)


_KINDS: tuple[tuple[type[CorridorError], int, str], ...] = (
    (NotAllowed, 403, "not_allowed"),
    (NotFound, 404, "not_found"),
    (Conflict, 409, "conflict"),
)


def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc, Throttled):
        wait = max(1, int(exc.wait or 1))
        return error_response(
            request,
            429,
            "rate_limited",
            f"too many requests; try again in {wait} s",
            headers={"Retry-After": str(wait)},
        )
    if isinstance(exc, AuthenticationError):
        return error_response(
            request,
            401,
            "not_authenticated",
            "send a valid API token: Authorization: Bearer cor_…",
            headers={"WWW-Authenticate": "Bearer"},
        )
    codes = {400: "bad_request", 403: "not_allowed", 404: "not_found", 405: "method_not_allowed"}
    message = exc.message
    if isinstance(exc.__cause__, jsonlimits.TooDeep):
        message = f"the request body cannot be read: {exc.__cause__}"
    elif isinstance(exc.__cause__, ValueError):
        message = "the request body is not valid JSON (UTF-8)"
    return error_response(request, exc.status_code, codes.get(exc.status_code, "refused"), message)


def _too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return error_response(request, 413, "too_large", f"the request body is larger than {limit} bytes")


def _suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    return error_response(request, 400, "bad_request", "the request was refused as malformed")


def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, "not_found", "not found")


def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.error("API error on %s %s", request.method, request.path, exc_info=exc)
    message = "the server could not complete the request; it has been logged"
    if isinstance(exc, IdentityKeyError):
        message = "identity fields cannot be decrypted with the configured key; tell the administrator"
    return error_response(request, 500, "server_error", message)


DESCRIPTION = """
Corridor's JSON API: the register, trips and the gate timeline, plans, the ledger and supplies.

Authenticate with a personal token (`corridor tokens issue USER --label WHAT`), sent as
`Authorization: Bearer cor_…`. A token can do what its user's role can do (docs/roles.md).
Patients are pseudonymous: identity fields are returned only to roles that may see them, only when
asked for, and every such reading is an `identity.viewed` ledger entry. Every write goes through
Corridor's services and answers with the ledger entry it appended (`entry`). Every error is
`{"error": {"status", "code", "message", "field", "details", "reason", "values"}}`.
"""

api = NinjaAPI(
    title="Corridor API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=TokenAuth(),
    throttle=[PerUserRate(settings.API_RATE_LIMIT)],
    # Swagger UI from the copy bundled with django-ninja (static files), never from a CDN; the validator
    # badge would call out to the internet, so it is switched off.
    docs=Swagger(settings={"validatorUrl": None, "persistAuthorization": False}),
    docs_url="/docs",
    parser=LimitedParser(),
    openapi_url="/openapi.json",
)
api.add_exception_handler(ValidationError, _validation)  # type: ignore[arg-type]
api.add_exception_handler(CorridorError, _corridor_error)  # type: ignore[arg-type]
api.add_exception_handler(HttpError, _http_error)  # type: ignore[arg-type]
api.add_exception_handler(Http404, _not_found)  # type: ignore[arg-type]
api.add_exception_handler(RequestDataTooBig, _too_large)  # type: ignore[arg-type]
api.add_exception_handler(SuspiciousOperation, _suspicious)  # type: ignore[arg-type]
api.add_exception_handler(Exception, _server_error)  # type: ignore[arg-type]
