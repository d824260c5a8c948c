"""Every act on an account is a service with its ledger entry, done from the pages, the CLI or the API,
and an auditor can see it; nobody changes their own roles; Django's admin cannot change accounts."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from django.contrib import admin
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from corridor.accounts import services as accounts
from corridor.accounts.models import SignIn
from corridor.admin_base import ReadOnlyAdmin, ServiceAdmin
from corridor.cli import cli
from corridor.errors import InvalidInput, NotAllowed
from corridor.ledger.models import Entry
from corridor.refusals import in_language

PASSWORD = "a long enough passphrase"


@pytest.fixture(autouse=True)
def _clean_cache() -> None:
    cache.clear()  # sign-in throttling counts in the cache, which outlives a test's transaction


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _auditor_sees(users: dict[str, Any], entry: Entry) -> bool:
    page = _client(users["auditor"]).get(f"/ledger/?subject=user:{entry.subjects[-1].split(':', 1)[1]}")
    return page.status_code == 200 and f'href="/ledger/{entry.seq}/"' in page.content.decode()


def test_each_act_from_the_account_pages_writes_its_entry_naming_the_admin_and_an_auditor_sees_it(
    users: dict[str, Any],
) -> None:
    admin_client = _client(users["admin"])
    steps = [
        ("/users/new/", {"username": "new-nurse", "roles": ["clinician"], "password": PASSWORD}, "user.created"),
        (
            "/users/new-nurse/roles/",
            {"roles": ["clinician", "monitor"], "reason": "covers the gate"},
            "user.roles_changed",
        ),
        ("/users/new-nurse/password-reset/", {"password": "another long passphrase"}, "user.password_reset"),
        ("/users/new-nurse/tokens/", {"label": "field phone"}, "token.issued"),
        ("/users/new-nurse/active/", {"reason": "left the project"}, "user.deactivated"),
        ("/users/new-nurse/active/", {"reason": "came back"}, "user.reactivated"),
    ]
    for url, data, event in steps:
        response = admin_client.post(url, data)
        assert response.status_code in (200, 302), (url, response.status_code, response.content[:500])
        entry = Entry.objects.filter(type=event).order_by("-seq").first()
        assert entry is not None, event
        assert entry.recorded_by == "admin" and "user:new-nurse" in entry.subjects
        assert _auditor_sees(users, entry), event
    token = User.objects.get(username="new-nurse").api_tokens.get()
    assert admin_client.post(f"/users/new-nurse/tokens/{token.pk}/revoke/").status_code == 302
    revoked = Entry.objects.get(type="token.revoked")
    assert revoked.recorded_by == "admin" and _auditor_sees(users, revoked)
    assert Entry.objects.get(type="user.roles_changed").payload == {
        "username": "new-nurse",
        "from": ["clinician"],
        "to": ["clinician", "monitor"],
        "reason": "covers the gate",
    }
    assert PASSWORD not in "".join(Entry.objects.values_list("body", flat=True))


def test_a_user_changing_their_own_password_is_recorded(users: dict[str, Any]) -> None:
    users["monitor"].set_password(PASSWORD)
    users["monitor"].save()
    client = _client(users["monitor"])
    data = {
        "old_password": PASSWORD,
        "new_password": "a fresh passphrase 2",
        "new_password_again": "a fresh passphrase 2",
    }
    assert client.post("/account/password/", data).status_code == 302
    entry = Entry.objects.get(type="user.password_changed")
    assert (entry.recorded_by, entry.payload["after_reset_by"]) == ("monitor", None)
    assert _auditor_sees(users, entry)


def test_nobody_changes_their_own_roles_not_even_an_admin(users: dict[str, Any]) -> None:
    with pytest.raises(NotAllowed):
        accounts.change_roles(users["admin"], roles=["admin", "coordinator"], by=users["admin"])
    response = _client(users["admin"]).post("/users/admin/roles/", {"roles": ["admin", "coordinator"]})
    assert response.status_code == 422
    assert not Entry.objects.filter(type="user.roles_changed").exists()
    assert sorted(users["admin"].groups.values_list("name", flat=True)) == ["admin"]


def test_nobody_deactivates_or_resets_their_own_account(users: dict[str, Any]) -> None:
    with pytest.raises(NotAllowed):
        accounts.deactivate_user(users["admin"], reason="oops", by=users["admin"])
    with pytest.raises(NotAllowed):
        accounts.reset_password(users["admin"], password=PASSWORD, by=users["admin"])


def test_a_role_that_does_not_manage_users_is_refused_and_nothing_is_written(users: dict[str, Any]) -> None:
    before = Entry.objects.count()
    with pytest.raises(NotAllowed):
        accounts.change_roles(users["clinician"], roles=["coordinator"], by=users["coordinator"])
    with pytest.raises(NotAllowed):
        accounts.create_user(username="x", role="admin", password=PASSWORD, by=users["auditor"])
    assert Entry.objects.count() == before


def test_roles_must_be_known_and_at_least_one(users: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput) as refused:
        accounts.change_roles(users["clinician"], roles=[], by=users["admin"])
    assert refused.value.field == "roles"
    with pytest.raises(InvalidInput):
        accounts.change_roles(users["clinician"], roles=["superuser"], by=users["admin"])


def _sign_in(client: Client, username: str, password: str) -> Any:
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_an_admin_who_resets_the_clinicians_password_and_signs_in_as_them_leaves_a_trail_naming_the_admin(
    users: dict[str, Any], make_referral: Any
) -> None:
    make_referral("P-0001")
    clinician = users["clinician"]
    clinician.set_password(PASSWORD)
    clinician.save()
    admin_client = _client(users["admin"])
    assert (
        admin_client.post("/users/clinician/password-reset/", {"password": "chosen by the admin 1"}).status_code == 302
    )
    reset = Entry.objects.get(type="user.password_reset")
    assert reset.recorded_by == "admin" and reset.payload["reset_by"] == "admin" and reset.payload["must_change"]

    # The admin signs in as the clinician: every page leads to the password change, which names the admin.
    impostor = Client(REMOTE_ADDR="10.0.0.66")
    assert _sign_in(impostor, "clinician", "chosen by the admin 1").status_code == 302
    blocked = impostor.get("/patients/P-0001/identity/")
    assert blocked.status_code == 302 and blocked["Location"] == "/account/password/"
    assert impostor.post("/patients/P-0001/identity/", {"purpose": "curious"}).status_code == 302
    page = impostor.get("/account/password/").content.decode()
    assert "reset by admin" in page
    assert not Entry.objects.filter(type="identity.viewed").exists()
    new = "the impostor's own 2"
    changed = impostor.post(
        "/account/password/",
        {"old_password": "chosen by the admin 1", "new_password": new, "new_password_again": new},
    )
    assert changed.status_code == 302
    assert Entry.objects.get(type="user.password_changed").payload["after_reset_by"] == "admin"
    assert SignIn.objects.filter(username="clinician", outcome="signed_in", address="10.0.0.66").exists()

    # The real clinician, locked out, gets a reset from another admin and is told on signing in what happened.
    accounts.reset_password(clinician, password="from the second admin 3", by=None)
    real = Client()
    response = _sign_in(real, "clinician", "from the second admin 3")
    assert response.status_code == 302
    shown = [str(m) for m in response.wsgi_request._messages]
    assert any("admin: password reset" in m and f"entry {reset.seq}" in m for m in shown), shown
    auditor_view = _client(users["auditor"]).get("/audit/sign-ins/?username=clinician").content.decode()
    assert "10.0.0.66" in auditor_view


def test_sign_ins_failures_and_sign_outs_are_recorded_and_shown_to_auditors(users: dict[str, Any]) -> None:
    users["monitor"].set_password(PASSWORD)
    users["monitor"].save()
    client = Client(REMOTE_ADDR="10.1.2.3")
    _sign_in(client, "monitor", "wrong")
    _sign_in(client, "nobody-by-this-name", "wrong")
    _sign_in(client, "monitor", PASSWORD)
    client.post("/accounts/logout/")
    rows = list(SignIn.objects.order_by("pk").values_list("outcome", "username", "address"))
    assert rows == [
        ("failed", "monitor", "10.1.2.3"),
        ("failed", "nobody-by-this-name", "10.1.2.3"),
        ("signed_in", "monitor", "10.1.2.3"),
        ("signed_out", "monitor", "10.1.2.3"),
    ]
    accounts.change_roles(users["outsider"], roles=["coordinator"], by=users["admin"])
    page = _client(users["auditor"]).get("/audit/sign-ins/")
    assert page.status_code == 200 and "nobody-by-this-name" in page.content.decode()
    granted = Entry.objects.get(type="user.roles_changed")
    assert f'href="/ledger/{granted.seq}/"' in page.content.decode()  # the latest account acts, too
    assert _client(users["admin"]).get("/audit/sign-ins/").status_code == 403


def test_djangos_admin_cannot_create_or_change_users_or_groups(users: dict[str, Any]) -> None:
    client = _client(users["admin"])
    target = users["clinician"]
    assert client.get("/admin/auth/user/add/").status_code == 403
    response = client.post(f"/admin/auth/user/{target.pk}/change/", {"username": "renamed", "groups": []})
    assert response.status_code == 403
    client.post(f"/admin/auth/user/{target.pk}/password/", {"password1": PASSWORD, "password2": PASSWORD})
    assert client.post(f"/admin/auth/user/{target.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/auth/group/add/").status_code == 403
    assert client.get("/admin/password_change/")["Location"] == "/account/password/"
    target.refresh_from_db()
    assert target.username == "clinician" and target.check_password("x")
    assert client.get("/admin/auth/user/").status_code == 200  # browsing stays


def test_every_model_in_djangos_admin_writes_only_through_a_service() -> None:
    for model, model_admin in admin.site._registry.items():
        assert isinstance(model_admin, (ReadOnlyAdmin, ServiceAdmin)), model
        assert not model_admin.has_delete_permission(None), model  # type: ignore[arg-type]


def test_the_command_line_changes_accounts_through_the_services(users: dict[str, Any], tmp_path: Path) -> None:
    runner = CliRunner()
    secret = tmp_path / "pw"
    secret.write_text(PASSWORD)
    for arguments, event in [
        (["users", "roles", "clinician", "--role", "clinician", "--role", "monitor"], "user.roles_changed"),
        (["users", "reset-password", "clinician", "--password-file", str(secret)], "user.password_reset"),
        (["users", "deactivate", "clinician", "--reason", "left"], "user.deactivated"),
        (["users", "reactivate", "clinician"], "user.reactivated"),
    ]:
        result = runner.invoke(cli, arguments)
        assert result.exit_code == 0, result.output
        entry = Entry.objects.get(type=event)
        assert entry.recorded_by == "system" and entry.subjects == ["user:clinician"]
    listing = runner.invoke(cli, ["users", "list"])
    assert "clinician,monitor" in listing.output and "must change password" in listing.output
    refused = runner.invoke(cli, ["users", "deactivate", "nobody", "--reason", "x"])
    assert refused.exit_code == 2 and "no user named" in refused.output


def test_the_api_changes_accounts_through_the_same_services(users: dict[str, Any]) -> None:
    from corridor.accounts.tokens import issue_token

    _, secret = issue_token(users["admin"], by=None, label="test")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")

    def call(method: str, path: str, body: dict[str, Any]) -> Any:
        return getattr(api, method)(path, body, content_type="application/json")

    created = call("post", "/api/users", {"username": "api-made", "roles": ["monitor"], "password": PASSWORD})
    assert created.status_code == 201 and created.json()["must_change_password"] is True
    assert created.json()["entry"]["type"] == "user.created"
    own = call("put", "/api/users/admin/roles", {"roles": ["admin", "coordinator"]})
    assert own.status_code == 403
    assert call("post", "/api/users/api-made/deactivate", {"reason": ""}).status_code == 422
    assert call("post", "/api/users/api-made/deactivate", {"reason": "test over"}).json()["active"] is False
    back = call("post", "/api/users/api-made/reactivate", {})
    assert back.status_code == 200 and back.json()["entry"]["type"] == "user.reactivated"
    issued = call("post", "/api/users/api-made/tokens", {"label": "gate phone"})
    assert issued.status_code == 201 and issued.json()["secret"].startswith("cor_")
    revoked = call("post", f"/api/tokens/{issued.json()['id']}/revoke", {"reason": "lost phone"})
    assert revoked.status_code == 200 and revoked.json()["type"] == "token.revoked"
    assert call("post", "/api/users/nobody/password-reset", {"password": PASSWORD}).status_code == 404
    types = list(Entry.objects.filter(recorded_by="admin").values_list("type", flat=True))
    assert types == ["user.created", "user.deactivated", "user.reactivated", "token.issued", "token.revoked"]


def test_a_token_an_admin_issued_for_the_clinician_leaves_the_admins_name_on_every_identity_it_reads(
    users: dict[str, Any], make_referral: Any
) -> None:
    make_referral("P-0001")
    page = _client(users["admin"]).post("/users/clinician/tokens/", {"label": "just testing"})
    secret = re.search(r'<code id="secret">(cor_[\w-]+)</code>', page.content.decode())
    assert secret is not None
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret.group(1)}")
    assert api.get("/api/patients/P-0001/identity?purpose=look").status_code == 200
    viewed = Entry.objects.get(type="identity.viewed")
    assert viewed.recorded_by == "clinician" and viewed.payload["token_issued_by"] == "admin"
    assert Entry.objects.get(type="token.issued").recorded_by == "admin"


def test_a_users_page_shows_that_users_roles_not_the_admins(users: dict[str, Any]) -> None:
    page = _client(users["admin"]).get("/users/clinician/").content.decode()
    assert "Roles: clinician ·" in page


def test_deactivating_an_account_ends_its_open_sessions_and_its_tokens_at_once(users: dict[str, Any]) -> None:
    from corridor.accounts.tokens import issue_token

    _, secret = issue_token(users["monitor"], by=None, label="field phone")
    session = _client(users["monitor"])
    assert session.get("/").status_code == 200
    accounts.deactivate_user(users["monitor"], reason="phone lost with the password", by=users["admin"])
    assert session.get("/").status_code == 302
    assert Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get("/api/me").status_code == 401


def test_a_password_reset_ends_the_users_open_sessions(users: dict[str, Any]) -> None:
    session = Client()
    users["clinician"].set_password(PASSWORD)
    users["clinician"].save()
    assert _sign_in(session, "clinician", PASSWORD).status_code == 302
    assert session.get("/").status_code == 200
    accounts.reset_password(users["clinician"], password="set by the admin 4", by=users["admin"])
    assert session.get("/").status_code == 302


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("fa", "فقط حرف، رقم و . @ + - _ به کار ببرید (حداکثر ۹۰)"),
        ("ar", "استخدم الحروف والأرقام و . @ + - _ فقط (٩٠ على الأكثر)"),
    ],
)
def test_a_malformed_username_is_refused_in_the_readers_language_with_local_digits(
    users: dict[str, Any], language: str, said: str
) -> None:
    before = User.objects.count()
    with pytest.raises(InvalidInput) as refused:
        accounts.create_user(username="no spaces", role="monitor", password="x" * 20, by=users["admin"])
    assert refused.value.code == "account.bad_username" and refused.value.values == {"most": 90}
    assert str(refused.value) == "username: use letters, digits and . @ + - _ only (at most 90)"
    assert User.objects.count() == before
    with translation.override(language):
        assert in_language(refused.value) == said
