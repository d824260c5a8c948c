"""Sites as a boundary: the one place that says how each kind of record belongs to a site.

A user works at one or more sites (``accounts.SiteMembership``). Every page, endpoint, export and
command that reads per-site records filters them here, with :func:`for_sites` (a set of site ids)
or :func:`visible` (a user's). A record of another site is not found, never "forbidden": a user
learns nothing about the other site's patients, not even that a code exists. Scripts and loaders
(an actor of ``None`` or a name) act for every site.

``SITE_PATHS`` names, for each model holding per-site records, the lookup from the model to its site;
:func:`for_sites` refuses a model that is not in it, so a new model cannot be read unscoped by
accident. ``SUBJECT_SITES`` does the same for ledger subjects: ``corridor.ledger.services.append``
records which site each entry concerns (``ledger.EntrySite``) from its subjects, and
:func:`entries_for_sites` shows a user the install-wide entries plus those of their sites.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.apps import apps
from django.db import connection
from django.db.models import Exists, F, Model, OuterRef, QuerySet
from django.utils.translation import gettext_noop as _

from corridor.errors import NotFound

M = TypeVar("M", bound=Model)

# model label -> lookup from that model to its site's id
SITE_PATHS: dict[str, str] = {
    "register.Site": "id",
    "register.Patient": "site_id",
    "register.PatientIdentity": "patient__site_id",
    "register.NameToken": "site_id",
    "register.Referral": "patient__site_id",
    "register.AccessRuleSet": "site_id",
    "register.Erasure": "site_id",
    "transfers.Trip": "site_id",
    "transfers.TripPassenger": "trip__site_id",
    "transfers.Companion": "site_id",
    "transfers.CompanionIdentity": "companion__site_id",
    "transfers.TripCompanion": "trip__site_id",
    "transfers.GateTap": "trip__site_id",
    "supplies.SupplyItem": "site_id",
    "supplies.Delivery": "site_id",
    "supplies.Generator": "site_id",
    "supplies.StockRecord": "item__site_id",
    "supplies.PowerDay": "generator__site_id",
    "supplies.Dependence": "patient__site_id",
    "accounts.BreakGlass": "patient__site_id",
    "accounts.SiteMembership": "site_id",
}

# ledger subject kind -> (model label, the field the subject's id names)
SUBJECT_SITES: dict[str, tuple[str, str]] = {
    "site": ("register.Site", "code"),
    "patient": ("register.Patient", "code"),
    "referral": ("register.Referral", "pk"),
    "trip": ("transfers.Trip", "pk"),
    "companion": ("transfers.Companion", "code"),
    "delivery": ("supplies.Delivery", "pk"),
}

EVERY_SITE = None  # what site_ids() answers for scripts and loaders


def site_ids(user: Any) -> frozenset[int] | None:
    """The ids of the sites ``user`` works at; ``None`` (every site) for a script or loader.

    Looked up once per request object: a page asks many times (menu, lists, counts).
    """
    if user is None or isinstance(user, str):
        return EVERY_SITE
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached: frozenset[int] | None = getattr(user, "_corridor_sites", None)
    if cached is None:
        membership = apps.get_model("accounts", "SiteMembership")
        cached = frozenset(membership.objects.filter(user_id=user.pk).values_list("site_id", flat=True))
        user._corridor_sites = cached
    return cached


def for_sites(queryset: QuerySet[M], sites: Iterable[int] | None) -> QuerySet[M]:
    """``queryset`` narrowed to the records of ``sites`` (ids; ``None`` is every site)."""
    label = queryset.model._meta.label
    if label == "ledger.Entry":
        return entries_for_sites(queryset, sites)
    path = SITE_PATHS.get(label)
    if path is None:
        raise LookupError(f"{label} has no site path in corridor.register.scoping.SITE_PATHS")
    if sites is None:
        return queryset
    return queryset.filter(**{f"{path}__in": list(sites)})


def visible(queryset: QuerySet[M], user: Any) -> QuerySet[M]:
    """``queryset`` narrowed to the sites ``user`` works at."""
    return for_sites(queryset, site_ids(user))


# What a record looked up by its key is called in a refusal: its sentence, its code and its value's name.
_NAMED: dict[str, tuple[str, str, str]] = {
    "patient": (_("there is no patient %(patient)s"), "patient.not_found", "patient"),
    "ledger entry": (_("there is no ledger entry %(seq)s"), "entry.not_found", "seq"),
}

# A record of a site the user does not work at is refused as if it did not exist, in these words.
_SUCH: dict[str, tuple[str, str]] = {
    "site": (_("there is no such site"), "site.not_found"),
    "patient": (_("there is no such patient"), "patient.not_found"),
    "trip": (_("there is no such trip"), "trip.not_found"),
    "companion": (_("there is no such companion"), "companion.not_found"),
}


def get_visible(queryset: QuerySet[M], user: Any, what: str, **lookup: Any) -> M:
    """The one record of ``user``'s sites matching ``lookup``; NotFound (the same answer as for a record
    that does not exist) otherwise. ``what`` is one of ``_NAMED``."""
    found = visible(queryset, user).filter(**lookup).first()
    if found is None:
        template, code, name = _NAMED[what]
        raise NotFound(template, code=code, **{name: next(iter(lookup.values()), "")})
    return found


def may_act_at(user: Any, site: Any) -> bool:
    """Whether ``user`` works at ``site`` (a Site or its id)."""
    ids = site_ids(user)
    return ids is None or getattr(site, "pk", site) in ids


def require_site(user: Any, site: Any, what: str = "site") -> None:
    """Refuse (NotFound, as if it did not exist) an act of ``user`` on records of a site they do not work at."""
    if not may_act_at(user, site):
        template, code = _SUCH[what]
        raise NotFound(template, code=code)


def entries_for_sites(queryset: QuerySet[Any], sites: Iterable[int] | None) -> QuerySet[Any]:
    """Ledger entries a member of ``sites`` may read: install-wide ones (no site) and those whose every
    site is one of ``sites``. An entry touching a site outside them is left out whole."""
    if sites is None:
        return queryset
    entry_site = apps.get_model("ledger", "EntrySite")
    elsewhere = entry_site.objects.filter(entry_id=OuterRef("seq")).exclude(site_id__in=list(sites))
    return queryset.exclude(Exists(elsewhere))


def sites_of_subjects(subjects: Iterable[str]) -> set[int]:
    """The ids of the sites that ledger subjects (``patient:P-0042``, ``trip:12``) belong to.

    An entry naming its site (``site:CODE``) is taken at its word; otherwise each kind that belongs to
    a site is looked up. Subjects of other kinds (users, hospitals) have none.
    """
    lookup = sites_query(subjects)
    if lookup is None:
        return set()
    sql, params = lookup
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {site for (site,) in cursor.fetchall()}


def sites_query(subjects: Iterable[str]) -> tuple[str, list[int | str]] | None:
    """The SQL (and its parameters) selecting, as ``site_ref``, the sites of ledger subjects, as
    :func:`sites_of_subjects` reads them; a site may come more than once. None when no subject can
    belong to a site. The ledger's append inserts an entry's site rows from it in one statement.
    """
    by_kind: dict[str, list[str]] = {}
    for subject in subjects:
        kind, _sep, ident = subject.partition(":")
        if kind in SUBJECT_SITES:
            by_kind.setdefault(kind, []).append(ident)
    if "site" in by_kind:
        by_kind = {"site": by_kind["site"]}
    parts: list[str] = []
    params: list[int | str] = []
    vendor = connection.vendor  # looked up once: each lookup goes through the connection proxy's local storage
    for kind, idents in by_kind.items():
        ids: list[int | str] = (
            [int(i) for i in dict.fromkeys(idents) if i.isdigit() and int(i) < _BIGGEST_ID]
            if SUBJECT_SITES[kind][1] == "pk"
            else list(dict.fromkeys(idents))
        )
        if ids:
            parts.append(_site_sql(vendor, kind, len(ids)))
            params.extend(ids)
    if not parts:
        return None
    return " UNION ALL ".join(parts), params


# An id beyond a 64-bit key names no record (the ORM answered nothing for it too) and cannot be bound.
_BIGGEST_ID = 2**63

# (database vendor, subject kind, number of ids) -> the SQL selecting those subjects' sites. Every ledger
# append asks; building and compiling a queryset each time cost more than all the rest of an append
# (benchmarks/ledger.py). The SQL depends only on the schema, so it is compiled once per shape; the
# query itself still runs on every append, so a site, patient or trip added later is found like any other.
_SITE_SQL: dict[tuple[str, str, int], str] = {}


def _site_sql(vendor: str, kind: str, count: int) -> str:
    key = (vendor, kind, count)
    sql = _SITE_SQL.get(key)
    if sql is None:
        label, field = SUBJECT_SITES[kind]
        # Distinct stand-ins, so the ORM keeps one placeholder for each id; they are never sent.
        sample: list[object] = list(range(1, count + 1)) if field == "pk" else [f"id{i}" for i in range(count)]
        query = (
            apps.get_model(label)
            .objects.filter(**{f"{field}__in": sample})
            .order_by()
            .values(site_ref=F(SITE_PATHS[label]))
            .query
        )
        sql, compiled = query.sql_with_params()
        if list(compiled) != sample:  # the SQL must take exactly the ids, in order, to be reused for others
            raise LookupError(f"cannot compile the site lookup of {kind} subjects once for all")
        _SITE_SQL[key] = sql
    return sql


def require_entry(user: Any, seq: int) -> None:
    """Refuse (NotFound) a read of or an attachment to ledger entry ``seq`` that ``user``'s sites may not see."""
    entry = apps.get_model("ledger", "Entry")
    if not visible(entry.objects.filter(seq=seq), user).exists():
        raise NotFound(_("there is no ledger entry %(seq)s"), code="entry.not_found", seq=seq)
