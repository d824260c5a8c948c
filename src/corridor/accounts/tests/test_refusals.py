"""The accounts' refusals (tokens, break-glass, roles) carry a code and their values, said in Persian and Arabic."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from corridor.accounts.roles import Can, require
from corridor.accounts.tokens import issue_token, revoke_token
from corridor.errors import Conflict, CorridorError, InvalidInput, NotAllowed
from corridor.refusals import in_language

pytestmark = pytest.mark.django_db


def _said(error: CorridorError, language: str) -> str:
    with translation.override(language):
        return in_language(error)


def test_a_token_revoked_twice_is_refused_with_its_number_and_the_moment_in_utc_with_local_digits(
    users: dict[str, Any],
) -> None:
    token, _secret = issue_token(users["monitor"], by=None, label="field phone")
    revoke_token(token.pk, by=None)
    with pytest.raises(Conflict) as refused:
        revoke_token(token.pk, by=None)
    error = refused.value
    assert error.code == "token.already_revoked" and error.values["token"] == token.pk
    assert str(error).startswith(f"token {token.pk} was already revoked on ")
    number = str(token.pk).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    persian = _said(error, "fa")
    assert persian.startswith(f"توکن {number} از پیش در ") and persian.endswith(" UTC باطل شده است")
    assert not any(digit in persian for digit in "0123456789")


def test_a_token_without_a_label_or_for_a_user_without_a_role_is_refused_in_words(users: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput) as refused:
        issue_token(users["monitor"], by=None, label="  ")
    assert refused.value.code == "token.no_label" and str(refused.value) == "label: say what the token is for"
    assert _said(refused.value, "ar") == "اذكر الغرض من الرمز"
    with pytest.raises(InvalidInput) as refused:
        issue_token(users["outsider"], by=None, label="x")
    error = refused.value
    assert error.code == "token.user_without_role" and error.values == {"user": "outsider"}
    assert str(error) == "user: user outsider has no role, so a token could do nothing"
    assert _said(error, "fa") == "کاربر outsider نقشی ندارد، پس توکن هیچ کاری نمی‌تواند بکند"


@pytest.mark.parametrize("capability", list(Can))
def test_every_capability_a_role_lacks_is_refused_with_its_own_sentence_in_persian_and_arabic(
    users: dict[str, Any], capability: Can
) -> None:
    with pytest.raises(NotAllowed) as refused:
        require(users["outsider"], capability)
    error = refused.value
    assert error.code == "role.may_not" and error.values == {"capability": capability.value}
    assert str(error) == f"your role may not {capability.value.replace('_', ' ')}"
    for language in ("fa", "ar"):
        said = _said(error, language)
        assert said != str(error) and not any("a" <= c <= "z" for c in said), said
