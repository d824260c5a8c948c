"""API tokens: shown once, stored as a SHA-256 only, scoped by the user's role, revocable, in the ledger."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from click.testing import CliRunner

from corridor.accounts.models import ApiToken
from corridor.accounts.tokens import authenticate, issue_token, revoke_token
from corridor.cli import cli
from corridor.errors import Conflict, InvalidInput, NotAllowed, NotFound
from corridor.ledger.models import Entry


def test_a_token_is_shown_once_and_only_its_sha256_is_kept(users: dict[str, Any]) -> None:
    token, secret = issue_token(users["monitor"], by=None, label="field phone")
    assert secret.startswith("cor_") and len(secret) == 47
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert stored["digest"] == hashlib.sha256(secret.encode()).hexdigest()
    assert all(secret not in str(value) for value in stored.values())
    assert stored["prefix"] == secret[:8]
    entry = Entry.objects.get(type="token.issued")
    assert entry.payload == {"token": token.pk, "user": "monitor", "label": "field phone", "roles": ["monitor"]}
    assert secret not in entry.body and stored["digest"] not in entry.body


def test_only_the_right_secret_of_an_active_token_of_an_active_user_authenticates(users: dict[str, Any]) -> None:
    token, secret = issue_token(users["auditor"], by=None, label="audit")
    found = authenticate(secret)
    assert found is not None and found.pk == token.pk and found.user == users["auditor"]
    assert authenticate(secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
    assert authenticate("not-a-token") is None and authenticate("") is None
    users["auditor"].is_active = False
    users["auditor"].save()
    assert authenticate(secret) is None
    users["auditor"].is_active = True
    users["auditor"].save()
    revoke_token(token.pk, by=None, reason="rotated")
    assert authenticate(secret) is None


def test_users_manage_their_own_tokens_and_admins_everyone_s(users: dict[str, Any]) -> None:
    own, _ = issue_token(users["clinician"], by=users["clinician"], label="mine")
    with pytest.raises(NotAllowed):
        issue_token(users["monitor"], by=users["clinician"], label="not mine")
    with pytest.raises(NotAllowed):
        revoke_token(own.pk, by=users["monitor"])
    issue_token(users["monitor"], by=users["admin"], label="issued by the admin")
    revoked = revoke_token(own.pk, by=users["admin"], reason="left the team")
    assert revoked.revoked_by == "admin" and not revoked.active
    entry = Entry.objects.filter(type="token.revoked").get()
    assert entry.recorded_by == "admin" and entry.payload["reason"] == "left the team"
    assert f"token:{own.pk}" in entry.subjects


def test_refusals_write_nothing(users: dict[str, Any]) -> None:
    before = Entry.objects.count()
    with pytest.raises(InvalidInput, match="label"):
        issue_token(users["monitor"], by=None, label="  ")
    with pytest.raises(InvalidInput, match="no role"):
        issue_token(users["outsider"], by=None, label="x")
    with pytest.raises(NotFound):
        revoke_token(999, by=None)
    token, _ = issue_token(users["monitor"], by=None, label="x")
    revoke_token(token.pk, by=None)
    with pytest.raises(Conflict, match="already revoked"):
        revoke_token(token.pk, by=None)
    assert Entry.objects.count() == before + 2
    assert ApiToken.objects.count() == 1


def test_the_tokens_command_issues_lists_and_revokes(users: dict[str, Any]) -> None:
    runner = CliRunner()
    issued = runner.invoke(cli, ["tokens", "issue", "coordinator", "--label", "agency sync"])
    assert issued.exit_code == 0, issued.output
    secret = issued.stdout.strip()
    assert authenticate(secret) is not None
    listed = runner.invoke(cli, ["tokens", "list"])
    assert "agency sync" in listed.output and secret[:8] in listed.output and secret not in listed.output
    token_id = ApiToken.objects.get().pk
    assert runner.invoke(cli, ["tokens", "revoke", str(token_id), "--reason", "test"]).exit_code == 0
    assert runner.invoke(cli, ["tokens", "list"]).output.strip() == "no tokens"
    assert "revoked" in runner.invoke(cli, ["tokens", "list", "--all"]).output
    again = runner.invoke(cli, ["tokens", "revoke", str(token_id)])
    assert again.exit_code == 2 and "already revoked" in again.output
    missing = runner.invoke(cli, ["tokens", "issue", "nobody", "--label", "x"])
    assert missing.exit_code == 2 and "no user named" in missing.output
