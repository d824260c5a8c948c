"""Fetch every submission of one form from KoBoToolbox or ODK Central, page by page, or fail saying why.

- **KoBoToolbox**: ``GET /api/v2/assets/{uid}/data/?format=json&limit=N`` with ``Authorization: Token …``;
  each page is ``{"count", "next", "previous", "results"}``, and ``next`` names the following page.
- **ODK Central**: ``GET /v1/projects/{id}/forms/{xmlFormId}.svc/Submissions?$top=N&$count=true&$expand=*``
  with HTTP Basic authentication (``email:password``); each page is ``{"@odata.context", "@odata.count",
  "value"}`` and, when more follow, ``@odata.nextLink`` (older servers: ``$skip`` on).

All of it or nothing: a network error, a refused token, a server error, a page that is not what the API
documents, or a count that changes while the pages are read raises :class:`PullFailed`, and nothing
fetched is applied; the next scheduled run tries again. The token goes only to the configured server: a
``next`` link or a redirect to another address is refused, never followed. No Django here.
"""

from __future__ import annotations

import base64
import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from corridor import jsonlimits
from corridor.errors import CorridorError, InvalidInput
from corridor.errors import template as _
from corridor.intake.readers import Export, kobo_submissions, odk_submissions
from corridor.intake.sources import TOKEN_PREFIX, Source, variable_suffix

PAGE_SIZE = 500  # KoBoToolbox serves at most 1,000 a page by default; fewer keeps each answer small
MAX_PAGES = 200
MAX_SUBMISSIONS = 50_000
MAX_PAGE_BYTES = 20 * 1024 * 1024
TIMEOUT = 30.0
USER_AGENT = "Corridor field intake"


class PullFailed(CorridorError):
    """The server could not be read in full; nothing was applied."""


@dataclass
class Pulled:
    source: Source
    results: list[dict[str, Any]]
    pages: int

    def export(self) -> Export:
        """The submissions as the readers give an export's, ready for the same checks as a file."""
        pages = f"{self.pages} page{'s' if self.pages != 1 else ''}"
        if self.source.kind == "kobo":
            return Export("api", f"KoBoToolbox API, {pages}", kobo_submissions(self.results), "kobo")
        return Export("odata", f"ODK Central OData, {pages}", odk_submissions(self.results), "odk")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # urllib then raises HTTPError with the 3xx status, which _get reports


_OPENER = urllib.request.build_opener(_NoRedirect)


def _authorization(source: Source) -> str:
    assert source.token is not None
    if source.kind == "kobo":
        return f"Token {source.token}"
    return "Basic " + base64.b64encode(source.token.encode("utf-8")).decode("ascii")


def _get(source: Source, url: str, page: int, timeout: float) -> dict[str, Any]:
    """One page as JSON. Every failure is a PullFailed naming the page and the reason, never the token."""
    where = f"{source.name}: page {page}"
    request = urllib.request.Request(
        url,
        headers={"Authorization": _authorization(source), "Accept": "application/json", "User-Agent": USER_AGENT},
    )
    try:
        with _OPENER.open(request, timeout=timeout) as response:  # noqa: S310 - a configured http(s) server
            body = response.read(MAX_PAGE_BYTES + 1)
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403):
            raise PullFailed(
                f"{where}: the server refused the token (HTTP {exc.code}); check "
                f"{TOKEN_PREFIX}{variable_suffix(source.name)} and that its account may read the form"
            ) from None
        if 300 <= exc.code < 400:
            target = exc.headers.get("Location", "?") if exc.headers else "?"
            raise PullFailed(
                f"{where}: the server redirects (HTTP {exc.code}) to {target}; configure that address instead"
            ) from None
        if exc.code == 404:
            raise PullFailed(f"{where}: the server has no form {source.form} (HTTP 404); check the source") from None
        raise PullFailed(f"{where}: the server answered HTTP {exc.code}; the next run tries again") from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise PullFailed(
            f"{where}: no answer from {urlsplit(url).netloc} ({reason}); the next run tries again"
        ) from None
    if len(body) > MAX_PAGE_BYTES:
        raise PullFailed(f"{where}: the answer is larger than {MAX_PAGE_BYTES // (1024 * 1024)} MB")
    try:
        document = jsonlimits.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, jsonlimits.TooDeep) as exc:
        raise PullFailed(f"{where}: the answer is not JSON ({str(exc)[:100]})") from None
    if not isinstance(document, dict):
        raise PullFailed(f"{where}: the answer is not a JSON object")
    return document


def _same_server(source: Source, link: str, page: int) -> str:
    """A link to the next page, only if it is on the configured server: the token goes nowhere else."""
    ours, theirs = urlsplit(source.url), urlsplit(link)
    if (theirs.scheme, theirs.netloc) != (ours.scheme, ours.netloc):
        raise PullFailed(
            f"{source.name}: page {page} links the next page on another server ({theirs.scheme}://{theirs.netloc}); "
            "not followed, so that the token stays with the configured server"
        )
    return link


def _count(value: Any, name: str, source: Source, page: int) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise PullFailed(f"{source.name}: page {page}: {name} is {value!r}, not a number of submissions")
    return value


def fetch(source: Source, *, timeout: float = TIMEOUT, page_size: int = PAGE_SIZE) -> Pulled:
    """Every submission of ``source``'s form, all pages of it. Raises PullFailed."""
    if not source.pulled:
        raise InvalidInput(
            _("%(source)s is not pulled: it has no %(variable)s"),
            code="intake.not_pulled",
            source=source.name,
            variable=f"{TOKEN_PREFIX}{variable_suffix(source.name)}",
        )
    if source.kind == "kobo":
        return _fetch_kobo(source, timeout, page_size)
    return _fetch_odk(source, timeout, page_size)


def _fetch_kobo(source: Source, timeout: float, page_size: int) -> Pulled:
    def read(document: dict[str, Any], page: int, so_far: int) -> _Page:
        items = document.get("results")
        if not isinstance(items, list) or "count" not in document:
            raise PullFailed(f'{source.name}: page {page} is not the data API\'s {{"count", "results"}}')
        count = _count(document.get("count"), "count", source, page)
        link = document.get("next")
        if link is not None and not isinstance(link, str):
            raise PullFailed(f'{source.name}: page {page}: "next" is not an address')
        return items, count, _same_server(source, link, page) if link else None

    query = urlencode({"format": "json", "limit": page_size})
    return _pull_pages(source, f"{source.url}/api/v2/assets/{quote(source.form)}/data/?{query}", timeout, read, "_id")


def _fetch_odk(source: Source, timeout: float, page_size: int) -> Pulled:
    project, form = source.form.split("/", 1)
    base = f"{source.url}/v1/projects/{project}/forms/{quote(form)}.svc/Submissions"
    query = {"$top": page_size, "$count": "true", "$expand": "*"}

    def read(document: dict[str, Any], page: int, so_far: int) -> _Page:
        items = document.get("value")
        if not isinstance(items, list):
            raise PullFailed(f'{source.name}: page {page} is not an OData answer {{"value": [...]}}')
        count = _count(document.get("@odata.count"), "@odata.count", source, page)
        link = document.get("@odata.nextLink")
        if link is not None and not isinstance(link, str):
            raise PullFailed(f"{source.name}: page {page}: @odata.nextLink is not an address")
        if link:
            return items, count, _same_server(source, link, page)
        if count is not None and items and so_far + len(items) < count:  # servers without nextLink
            return items, count, f"{base}?{urlencode({**query, '$skip': so_far + len(items)})}"
        return items, count, None

    return _pull_pages(source, f"{base}?{urlencode(query)}", timeout, read, "__id")


# A page's submissions, the count the server claims (if it says one) and the next page's address (None at the last).
_Page = tuple[list[Any], int | None, str | None]


def _pull_pages(
    source: Source, url: str | None, timeout: float, read: Callable[[dict[str, Any], int, int], _Page], key: str
) -> Pulled:
    """Every page from ``url`` on, each taken apart by its platform's ``read`` (given the page's document, its
    number and how many submissions came before it); within the bounds, and adding up (``key`` names a
    submission's id)."""
    results: list[Any] = []
    counts: set[int] = set()
    page = 0
    while url:
        page += 1
        _bounded(source, page, len(results))
        document = _get(source, url, page, timeout)
        items, count, url = read(document, page, len(results))
        if count is not None:
            counts.add(count)
        results.extend(items)
    _complete(source, results, counts, page, key)
    return Pulled(source, results, page)


def _bounded(source: Source, page: int, so_far: int) -> None:
    if page > MAX_PAGES or so_far > MAX_SUBMISSIONS:
        raise PullFailed(
            f"{source.name}: more than {MAX_SUBMISSIONS} submissions or {MAX_PAGES} pages; "
            "archive older submissions on the server"
        )


def _complete(source: Source, results: list[Any], counts: set[int], pages: int, key: str) -> None:
    """The pages add up: one count throughout, as many submissions as it says, none twice."""
    if len(counts) > 1:
        raise PullFailed(
            f"{source.name}: submissions arrived while the {pages} pages were read (the count went from "
            f"{min(counts)} to {max(counts)}); the next run reads them again"
        )
    if counts and len(results) != next(iter(counts)):
        raise PullFailed(
            f"{source.name}: the server counts {next(iter(counts))} submissions but its {pages} pages hold "
            f"{len(results)}; the next run tries again"
        )
    seen: set[str] = set()
    for item in results:
        ident = json.dumps(item.get(key) if isinstance(item, dict) else None)
        if ident != "null" and ident in seen:
            raise PullFailed(f"{source.name}: submission {ident} came twice across the pages; the next run tries again")
        seen.add(ident)
