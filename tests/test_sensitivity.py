"""The classing test: every stored field, ledger payload key, export column and API output has a sensitivity
class (corridor.sensitivity), and none of clinical or identifying class is shown to a role that may not see it.

The payload keys of the richest ledger the tests build (every edge writing free text) are walked in
src/corridor/web/tests/test_sensitivity.py; the demo camp's whole ledger is walked here (slow).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps

from corridor import sensitivity
from corridor.accounts.roles import ROLE_CAPABILITIES, Can, Role
from corridor.api.main import api
from corridor.reports import exports
from corridor.sensitivity import CLINICAL, IDENTIFYING, PUBLIC, RESTRICTED


def _corridor_models() -> list[Any]:
    return [m for m in apps.get_models() if m.__module__.startswith("corridor.")]


def test_every_concrete_field_of_every_corridor_model_has_a_class() -> None:
    unclassed = [
        f"{model._meta.label}.{field.name}"
        for model in _corridor_models()
        for field in model._meta.concrete_fields
        if sensitivity.field_class(model._meta.label, field.name) is None
    ]
    assert unclassed == []


def test_the_table_names_no_model_or_field_that_does_not_exist() -> None:
    # A renamed field would leave its class behind and the new name unclassed: both sides must match.
    real = {m._meta.label: {f.name for f in m._meta.concrete_fields} for m in _corridor_models()}
    stale = [
        f"{label}.{name}"
        for label, names in sensitivity.FIELDS.items()
        for name in names
        if name not in real.get(label, set())
    ]
    assert stale == []


def test_the_free_text_the_issue_names_is_clinical_or_identifying() -> None:
    assert sensitivity.field_class("register.Referral", "diagnosis") == CLINICAL
    assert sensitivity.field_class("transfers.TripPassenger", "outcome_note") == CLINICAL
    assert sensitivity.key_class("gate.held", "note") == CLINICAL
    assert sensitivity.key_class("patient.seen", "note") == CLINICAL
    assert sensitivity.key_class("patient.died", "circumstances") == CLINICAL
    assert sensitivity.key_class("identity.viewed", "purpose") == IDENTIFYING
    assert sensitivity.key_class("patient.died", "submission") == CLINICAL  # a field submission, as sent
    # ... while the coded fields a monitor works with are not.
    for key in ("specialty", "diagnosis_icd10", "priority", "outcome"):
        assert sensitivity.key_class("referral.created", key) not in RESTRICTED


def test_only_the_roles_that_see_identities_read_clinical_text() -> None:
    readers = {role for role, caps in ROLE_CAPABILITIES.items() if Can.READ_CLINICAL in caps}
    assert readers == {role for role, caps in ROLE_CAPABILITIES.items() if Can.SEE_IDENTITIES in caps}
    assert readers.isdisjoint({Role.MONITOR, Role.AUDITOR, Role.ADMIN})


def test_an_unclassed_payload_key_is_withheld_from_a_monitor_and_shown_to_a_coordinator(
    users: dict[str, Any],
) -> None:
    # Fail closed: a key added without a class is treated as clinical until it is classed.
    payload = {"patient": "P-1", "brand_new_key": "text", "note": ""}
    assert sensitivity.redact(payload, users["monitor"], "gate.held") == {
        "patient": "P-1",
        "brand_new_key": sensitivity.withheld(),
        "note": "",
    }
    assert sensitivity.redact(payload, users["coordinator"], "gate.held") == payload


def test_no_export_column_is_a_clinical_or_identifying_field() -> None:
    restricted = {name for fields in sensitivity.FIELDS.values() for name, c in fields.items() if c in RESTRICTED}
    restricted |= {key for key, c in sensitivity.KEYS.items() if c in RESTRICTED}
    columns = [
        *exports.REFERRAL_COLUMNS,
        *exports.TRIP_COLUMNS,
        *exports.INCIDENT_COLUMNS,
        *exports.INDICATOR_COLUMNS,
    ]
    assert [c.name for c in columns if c.name in restricted] == []


def _properties(schema: dict[str, Any], components: dict[str, Any], seen: set[str]) -> set[str]:
    names: set[str] = set()
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return names
        seen.add(name)
        return _properties(components[name], components, seen)
    for key, inner in (schema.get("properties") or {}).items():
        names.add(key)
        names |= _properties(inner, components, seen)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            names |= _properties(schema[key], components, seen)
    for key in ("anyOf", "allOf", "oneOf"):
        for inner in schema.get(key) or []:
            names |= _properties(inner, components, seen)
    return names


# API outputs that carry clinical or identifying text, each through the path that withholds or audits it.
GUARDED_OUTPUTS = {
    "diagnosis": "referral_out: sensitivity.field_text",
    "outcome_note": "trip_out: sensitivity.field_text",
    "purpose": "identity_views: sensitivity.redact",
    "payload": "entry_record / trip_timeline: sensitivity.redact; /ledger/{seq}/text: text.viewed",
    "full_name": "identity reads: see_identities or break-glass, identity.viewed",
    "contact": "identity reads: see_identities or break-glass, identity.viewed",
    "notes": "identity reads (and the access rules' public notes)",
    "note": "companion answers (pseudonymous), break-glass acknowledgements, power days (public, as in power.recorded)",
    "data": "a job's result data, shown to its owner only (not a refused field submission's data)",
}


def test_every_api_output_named_like_clinical_or_identifying_text_is_one_the_edges_guard() -> None:
    document = api.get_openapi_schema()
    components = document["components"]["schemas"]
    outputs: set[str] = set()
    for operations in document["paths"].values():
        for operation in operations.values():
            for response in operation.get("responses", {}).values():
                for content in (response.get("content") or {}).values():
                    outputs |= _properties(content.get("schema", {}), components, set())
    restricted = {key for key, c in sensitivity.KEYS.items() if c in RESTRICTED}
    restricted |= {name for fields in sensitivity.FIELDS.values() for name, c in fields.items() if c in RESTRICTED}
    assert sorted(outputs & restricted - set(GUARDED_OUTPUTS)) == []


@pytest.mark.django_db
@pytest.mark.slow
def test_every_payload_key_of_the_demo_ledger_has_a_class() -> None:
    from corridor.ledger.models import Entry
    from corridor.scenarios import loader

    loader.load("demo-camp")
    unclassed = sorted(
        {
            f"{entry.type}: {key}"
            for entry in Entry.objects.iterator()
            for key in sensitivity.payload_keys(entry.payload)
            if sensitivity.key_class(entry.type, key) is None
        }
    )
    assert unclassed == []
    assert sensitivity.key_class("checkpoint.signed", "note") == PUBLIC


# Commands that print or write no clinical or identifying text, whoever runs them: plans and simulations
# (codes and figures), accounts and tokens, stock, checkpoints and consistency proofs, the public site
# (aggregates), the XLSForms, the server and the worker.
PRINT_NO_RECORD_TEXT = {
    "attach", "check-deploy", "checkpoint", "demo", "import forms", "load-scenario", "migrate", "plan bound",
    "plan check", "plan replay", "plan solve", "prove consistency", "publish", "report narrative",
    "rotate-identity-key", "serve", "simulate", "supplies month", "supplies status", "tokens issue",
    "tokens list", "tokens revoke", "users add", "users deactivate", "users list", "users reactivate",
    "users reset-password", "users roles", "users sites", "verify", "witness init", "witness serve", "worker",
    "intake sources",
}  # fmt: skip


def _leaf_commands() -> dict[str, tuple[Any, str]]:
    """Every sub-command, by its full name, with the help of its own and its groups' docstrings."""
    import click

    from corridor.cli import cli

    context = click.Context(cli)
    found: dict[str, tuple[Any, str]] = {}

    def walk(command: Any, path: list[str], helps: str) -> None:
        helps += command.help or ""
        if isinstance(command, click.Group):
            for name in command.list_commands(context):
                walk(command.get_command(context, name), [*path, name], helps)
        else:
            found[" ".join(path)] = (command, helps)

    walk(cli, [], "")
    return found


def test_every_command_that_prints_records_reads_as_an_account_or_says_it_is_the_operators() -> None:
    unguarded = []
    for name, (command, helps) in _leaf_commands().items():
        reads_as = any("--as" in param.opts for param in command.params)
        if not (reads_as or "Operator only" in helps or name in PRINT_NO_RECORD_TEXT):
            unguarded.append(name)
    assert unguarded == []
    assert not PRINT_NO_RECORD_TEXT - set(_leaf_commands())  # no stale name in the table
