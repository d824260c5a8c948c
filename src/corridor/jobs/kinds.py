"""What each job kind does: thin calls of the services that already do the work.

Each returns ``finish``, the writes, which :func:`corridor.jobs.services.run` runs in one transaction
with the job's completion. Services that compute and write in one call run whole inside ``finish``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext_noop as _

from corridor.errors import InvalidInput
from corridor.files import write_atomically
from corridor.jobs.registry import Finish, Progress, Result, WritesItself


def _site(params: dict[str, Any], by: Any) -> Any:
    """The site named, else the first the job's owner works at (another site's code is not found)."""
    from corridor.register.models import Site
    from corridor.register.scoping import visible

    sites = visible(Site.objects.order_by("pk"), by)
    code = params.get("site")
    site = sites.filter(code=code).first() if code else sites.first()
    if site is None:
        if code:
            raise InvalidInput(_("no site %(site)r"), "site", code="job.unknown_site", site=code)
        raise InvalidInput(_("add a site first"), "site", code="job.no_site")
    return site


def plan_proposal(params: dict[str, Any], by: Any, progress: Progress) -> WritesItself:
    import datetime as dt

    from corridor.transfers import plans

    site = _site(params, by)
    day = dt.date.fromisoformat(params["date"]) if params.get("date") else None
    # The recorded planner is bounded by work, not seconds (the same register gives the same plan on any
    # machine), so how long it takes depends on the machine: no duration is promised here, or taken.
    budget = plans.lowered_budget({} if params.get("budget") is None else params["budget"])
    progress(0.1, _("planning the day for %(site)s"), site=site.code)

    def run(complete: Callable[[Result], None]) -> None:
        def then(entry: Any) -> None:
            complete(
                Result(
                    _("plan proposed for %(day)s: ledger entry %(seq)s"),
                    values={"day": dt.date.fromisoformat(entry.payload["date"]), "seq": entry.seq},
                    link=f"/plan/?site={site.code}&date={entry.payload['date']}",
                    data={"entry": entry.seq, "site": site.code, "date": entry.payload["date"]},
                )
            )

        def first(trip: dict[str, Any] | None) -> None:
            if trip is not None:
                progress(0.3, _("the planner is looking for a better plan than its first answer"), {"first": trip})

        plans.propose_plan(site=site, day=day, by=by, budget=budget, then=then, first=first)

    return WritesItself(run)


def _delivered(complete: Callable[[Result], None], media_type: str) -> Callable[[bytes], None]:
    """A report service's ``deliver``: called in its transaction right after its ``export.created`` entry."""

    def deliver(content: bytes) -> None:
        from corridor.ledger.models import Entry

        entry = Entry.objects.order_by("-seq").first()
        assert entry is not None and entry.type == "export.created"
        payload = entry.payload
        complete(
            Result(
                _("%(file)s: %(bytes)s bytes, ledger entry %(seq)s"),
                values={"file": payload["filename"], "bytes": len(content), "seq": entry.seq},
                data={"entry": entry.seq, "sha256": payload["sha256"]},
                content=content,
                filename=payload["filename"],
                media_type=media_type,
            )
        )

    return deliver


def monthly_report(params: dict[str, Any], by: Any, progress: Progress) -> WritesItself:
    from corridor.reports import services

    fmt = str(params.get("format", "pdf"))
    progress(0.1, _("computing the indicators of %(month)s"), month=str(params.get("month", "")))

    def run(complete: Callable[[Result], None]) -> None:
        services.monthly_report(
            month=str(params.get("month", "")),
            language=str(params.get("language", "en")),
            fmt=fmt,
            public=bool(params.get("public", False)),
            by=by,
            site=str(params.get("site", "")),
            deliver=_delivered(complete, "application/pdf" if fmt == "pdf" else "text/html; charset=utf-8"),
        )

    return WritesItself(run)


def export(params: dict[str, Any], by: Any, progress: Progress) -> WritesItself:
    from corridor.reports import exports, services

    fmt = str(params.get("format", "csv"))
    progress(0.1, _("exporting %(dataset)s"), dataset=str(params.get("dataset", "")))

    def run(complete: Callable[[Result], None]) -> None:
        services.export(
            dataset=str(params.get("dataset", "")),
            fmt=fmt,
            month=params.get("month") or None,
            audience=str(params.get("audience", "public")),
            by=by,
            deliver=_delivered(complete, exports.MEDIA_TYPES.get(fmt, "text/plain")),
        )

    return WritesItself(run)


def simulation(params: dict[str, Any], by: Any, progress: Progress) -> Finish:
    """A shipped or named scenario file, simulated (pure: nothing to write but the job's result)."""
    from dataclasses import replace

    from corridor.simulation import report, scenario_files
    from corridor.simulation.core import simulate
    from corridor.simulation.model import ScenarioError

    name = str(params.get("scenario", ""))
    # A job is asked for through the API by any role: it names a shipped scenario, never a path on the
    # server (which would read any file the server can, and say whether it exists). The CLI takes paths.
    if name not in scenario_files.shipped():
        names = ", ".join(sorted(scenario_files.shipped()))
        raise InvalidInput(
            _("no shipped scenario %(scenario)r (shipped scenarios: %(known)s)"),
            "scenario",
            code="job.unknown_scenario",
            scenario=name[:80],
            known=names,
        )
    try:
        scenario = scenario_files.load(name)
        if params.get("replications"):
            scenario = replace(scenario, replications=int(params["replications"]))
        scenario.validate()
    except (ScenarioError, ValueError) as exc:
        # The simulator's pure core words its own reason (in English): kept whole, with a code.
        raise InvalidInput(str(exc), "scenario", code="job.bad_scenario") from None
    total = scenario.replications
    done = 0

    def step(count: int) -> None:
        nonlocal done
        done += count
        progress(done / total, _("%(done)s of %(total)s replications"), done=done, total=total)

    outcome = simulate(scenario, progress=step)

    def finish() -> Result:
        return Result(" / ".join(report.headline(outcome)[:1]) or "simulated", data=outcome.to_dict())

    return finish


def checkpoint(params: dict[str, Any], by: Any, progress: Progress) -> Finish | WritesItself:
    """Sign a checkpoint (only when one is due, with ``if_due``), and keep its note in the data directory.

    The service writes in its own transactions: the append lock is released while witnesses and
    time-stamping authorities are asked, so a witness that is down never holds up the camp's work.
    """
    from corridor.ledger import evidence

    if params.get("if_due"):
        reason = evidence.checkpoint_due()
        if reason is None:
            return lambda: Result(_("no checkpoint due"))
        progress(0.1, _("a checkpoint is due: %(reason)s"), reason=reason)

    def run(complete: Callable[[Result], None]) -> None:
        from django.db import transaction

        def then(entry: Any, note: str) -> None:
            payload = entry.payload
            size = payload["tree_size"]
            stamps = [str(stamp["response"]) for stamp in payload.get("timestamps", [])]
            transaction.on_commit(lambda: _keep_note(size, note, stamps))
            policy = payload.get("witness_policy") or {}
            values = {"size": size, "root": payload["root_hash"]}
            answer = _("signed: %(size)s entries, root %(root)s")
            if policy.get("of"):
                values |= {"cosigned": policy["cosigned"], "of": policy["of"]}
                answer = (
                    _("signed: %(size)s entries, root %(root)s; witnessed, %(cosigned)s of %(of)s witnesses")
                    if payload.get("witnessed")
                    else _("signed: %(size)s entries, root %(root)s; NOT witnessed, %(cosigned)s of %(of)s witnesses")
                )
            complete(
                Result(
                    answer,
                    values=values,
                    data={"entry": entry.seq, "tree_size": size, "witnessed": bool(payload.get("witnessed"))},
                    content=note.encode("utf-8"),
                    filename=f"checkpoint-{size}.txt",
                    media_type="text/plain; charset=utf-8",
                )
            )

        progress(0.2, _("signing; asking the witnesses and time-stamping authorities"))
        evidence.sign_checkpoint(by=None, then=then)

    return WritesItself(run)


def _keep_note(size: int, note: str, stamps: list[str]) -> None:
    """The checkpoint as published, and its time-stamp tokens, beside the others in the data directory."""
    import base64
    from pathlib import Path

    from django.conf import settings

    folder = Path(settings.DATA_DIR) / "checkpoints"
    folder.mkdir(parents=True, exist_ok=True)
    write_atomically(folder / f"checkpoint-{size}.txt", note)
    for number, stamp in enumerate(stamps, start=1):
        write_atomically(folder / f"checkpoint-{size}.{number}.tsr", base64.b64decode(stamp))


def verify(params: dict[str, Any], by: Any, progress: Progress) -> Finish:
    from corridor.ledger import services

    progress(0.1, _("verifying the ledger"))
    verdict = services.verify()
    if not verdict.ok:
        raise InvalidInput(
            _("ledger broken at entry %(seq)s: %(problem)s"),
            "ledger",
            code="job.ledger_broken",
            seq=verdict.bad_seq,
            problem=verdict.problem,
        )
    # Each committed text, held to its commitment (as ``corridor verify --deep`` does): one read and one
    # HMAC per text, named by entry and path, never by what it says.
    from corridor.ledger.sealing import check_texts

    progress(0.6, _("checking every sealed text against its commitment"))
    texts = check_texts()
    if texts.problems:
        shown = "; ".join(texts.problems[:20]) + (
            f"; and {len(texts.problems) - 20} more" if len(texts.problems) > 20 else ""
        )
        raise InvalidInput(
            _("%(count)s sealed text(s) missing, altered or moved: %(shown)s"),
            "ledger",
            code="job.sealed_texts_damaged",
            count=len(texts.problems),
            shown=shown,
        )
    data = {"count": verdict.count, "head": verdict.head_hash, "texts": texts.matched, "erased_texts": texts.erased}
    return lambda: Result(verdict.describe(), data=data)


def verify_attachments(params: dict[str, Any], by: Any, progress: Progress) -> Finish:
    """Open every stored file the ledger names (originals, manifests, derivatives) and check it against its
    hash, as ``corridor verify --deep`` does: the job fails naming each missing or damaged file, so admins
    see it on the schedule page the morning after, not on the day the file is needed."""
    from corridor.ledger.attachments import check_store

    def told(done: int, total: int) -> None:
        if done == total or done % max(1, total // 100) == 0:  # about a hundred heartbeats, not one a file
            progress(done / total, f"attachment {done} of {total}")

    progress(0.0, "checking every attached file against its hash")
    problems = check_store(told)
    if problems:
        shown = "; ".join(problems[:20]) + (f"; and {len(problems) - 20} more" if len(problems) > 20 else "")
        raise InvalidInput(
            _("%(count)s attached file(s) missing or damaged: %(shown)s"),
            "attachments",
            code="job.attachments_damaged",
            count=len(problems),
            shown=shown,
        )
    from corridor.ledger.models import Attachment

    count = Attachment.objects.count()
    return lambda: Result(
        _("every attached file matches its hash (%(count)s attachments)"),
        values={"count": count},
        data={"count": count},
    )


def supply_alerts(params: dict[str, Any], by: Any, progress: Progress) -> Finish:
    from corridor import clock
    from corridor.register.models import Site
    from corridor.register.scoping import visible
    from corridor.supplies import queries

    today = clock.today()
    # The sites of the one who asked; the schedule's own run (by None) covers every site.
    sites = visible(Site.objects.order_by("code"), by)
    lines = [f"{site.code}: {a.message}" for site in sites for a in queries.alerts(site, today)]
    if not lines:
        return lambda: Result(_("no supply alert"), data={"alerts": lines})
    # The alerts' own sentences stay as the supplies page words them; the count is said in the reader's language.
    return lambda: Result(
        _("%(count)s supply alerts: %(alerts)s"),
        values={"count": len(lines), "alerts": "; ".join(lines[:5])},
        data={"alerts": lines},
    )


def retention_due(params: dict[str, Any], by: Any, progress: Progress) -> Finish:
    """Count, per site, the identities the retention period says may now be erased. Erasing needs two
    named admins (``corridor retention request`` and ``confirm``), so the schedule only tells them; the
    answer names no patient, because every admin sees scheduled jobs, whatever their sites."""
    from collections import Counter

    from django.conf import settings

    from corridor.register import erasure

    years = int(settings.RETENTION_YEARS)
    if years < 1:
        return lambda: Result(_("no retention period is set (CORRIDOR_RETENTION_YEARS)"), data={"years": 0})
    # The sites of the admin who asked; the schedule's own run (by None) covers every site.
    due = erasure.due(by=by, years=years)
    sites = Counter(item.site for item in due)
    waiting = Counter(item.site for item in due if item.requested)
    data = {"years": years, "sites": {site: {"due": n, "asked_for": waiting[site]} for site, n in sites.items()}}
    if not due:
        return lambda: Result(
            _("no identity is past the %(years)s-year retention period"), values={"years": years}, data=data
        )
    by_site = "; ".join(f"{site} {count}/{waiting[site]}" for site, count in sorted(sites.items()))
    return lambda: Result(
        _(
            "%(count)s identities past the %(years)s-year retention period (per site: due/asked for) %(sites)s; "
            "two admins erase them with corridor retention request and confirm"
        ),
        values={"count": len(due), "years": years, "sites": by_site},
        data=data,
    )


def intake_pull(params: dict[str, Any], by: Any, progress: Progress) -> WritesItself:
    """Pull one field intake source; the job fails, naming each refusal, when a submission is refused."""
    from corridor.intake import servers

    chosen = servers.source(str(params.get("source", "")))

    def run(complete: Callable[[Result], None]) -> None:
        def then(report: Any) -> None:
            counts = {status: report.count(status) for status in ("imported", "duplicate", "excluded")}
            complete(
                Result(
                    servers.PULLED,
                    link="/intake/",
                    values={"source": chosen.name, **counts},
                    data={"source": chosen.name, **counts},
                )
            )

        report = servers.pull(chosen, by=by, progress=progress, then=then)
        if report.rejected:
            # Each refused submission's problems kept as phrases, said in the reader's language.
            raise servers.PullRefused(chosen, report)

    return WritesItself(run)
