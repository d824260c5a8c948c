"""``corridor supplies``: where the stocks stand under blockade, who is at risk, and the month's figures."""

from __future__ import annotations

import datetime as dt
import json

import click

from corridor.cli import with_django


def _day(value: str | None) -> dt.date:
    from django.utils.translation import gettext_noop as _

    from corridor import clock
    from corridor.errors import InvalidInput

    if value is None:
        return clock.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            _("write the date as YYYY-MM-DD; got %(value)r"), "--today", code="cli.bad_date", value=value
        ) from None


def _fmt(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


_site_option = click.option("--site", help="Site code (default: the only site).")
_today_option = click.option("--today", help="Take this date (YYYY-MM-DD) as today (default: the scenario's clock).")


@click.group()
def supplies() -> None:
    """Stocks, blocked deliveries, power and days of autonomy."""


@supplies.command("status")
@_site_option
@_today_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object: the items, alerts and patients at risk.")
@with_django
def status_command(site: str | None, today: str | None, as_json: bool) -> None:
    """Per item: stock, unit, days of autonomy (with its range), run-out date and blockade start."""
    from corridor.supplies import queries, wording

    chosen = queries.get_site(site)
    day = _day(today)
    rows = queries.status(chosen, day)
    risks = queries.patients_at_risk(chosen, day, rows)
    power = queries.power(chosen, day, rows)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "site": chosen.code,
                    "today": day.isoformat(),
                    "alert_days": queries.alert_days(),
                    "items": [r.as_json() for r in rows],
                    "alerts": [a.as_json() for a in queries.alerts(chosen, day, rows)],
                    "patients_at_risk": [r.as_json() for r in risks],
                    "power": [p.__dict__ for p in power],
                },
                ensure_ascii=False,
                indent=1,
            )
        )
        return
    if not rows:
        click.echo(f"{chosen.code}: no supply items recorded")
        return
    click.echo(f"{chosen.code} on {day}; alert below {queries.alert_days()} days of autonomy")
    header = f"{'item':<14} {'stock':>11} {'unit':<10} {'use/day':>9} {'days':>6} {'range':>12} {'runs out':<10} "
    click.echo(header + "blocked since")
    for r in rows:
        span = "—" if r.days_low is None else f"{_fmt(r.days_low)}–{_fmt(r.days_high) if r.days_high else '∞'}"
        click.echo(
            f"{r.code:<14} {_fmt(r.stock, 0):>11} {r.unit:<10} {_fmt(r.daily_use):>9} {_fmt(r.days_of_autonomy):>6} "
            f"{span:>12} {str(r.run_out_date or '—'):<10} {r.blocked_since or '—'}"
            + ("  ← " + "; ".join(wording.english(a) for a in r.alerts) if r.alerts else "")
        )
        for note in r.notes:
            click.echo(f"{'':<14} note: {wording.english(note)}")
    for p in power:
        if p.hours_per_day is not None:
            click.echo(
                f"{p.generator}: about {p.hours_per_day:.1f} hours a day on the fuel used, "
                f"{p.outage_hours_per_day:.1f} without power"
            )
    if risks:
        click.echo(f"\n{len(risks)} patients whose care depends on these supplies; the first at risk:")
        for risk in risks[:10]:
            click.echo(
                f"  {risk.patient:<8} {', '.join(risk.needs):<28} on {', '.join(risk.depends_on):<24} "
                f"at risk from {risk.at_risk_from or '—'}"
            )


@supplies.command("month")
@click.argument("month")
@_site_option
@_today_option
@click.option("--json", "as_json", is_flag=True, help="JSON instead of a table.")
@with_django
def month_command(month: str, site: str | None, today: str | None, as_json: bool) -> None:
    """MONTH (YYYY-MM): per item, days of autonomy at the month's end, blockade days, share of deliveries allowed."""
    from django.utils.translation import gettext_noop as _

    from corridor.errors import InvalidInput
    from corridor.supplies import queries

    try:
        year, number = (int(part) for part in month.split("-"))
        dt.date(year, number, 1)
    except ValueError:
        raise InvalidInput(
            _("write the month as YYYY-MM; got %(value)r"), "MONTH", code="cli.bad_month", value=month
        ) from None
    chosen = queries.get_site(site)
    rows = queries.month_figures(chosen, year, number, _day(today))
    if as_json:
        click.echo(json.dumps([r.__dict__ for r in rows], ensure_ascii=False, indent=1))
        return
    click.echo(f"{chosen.code}, {month}")
    click.echo(f"{'item':<14} {'days of autonomy':>16} {'blockade days':>13} {'decided':>7} {'share allowed':>13}")
    for r in rows:
        share = "—" if r.share_allowed is None else f"{r.share_allowed:.0%}"
        click.echo(
            f"{r.item:<14} {_fmt(r.days_of_autonomy):>16} {r.blockade_days:>13} {r.deliveries_decided:>7} {share:>13}"
        )
