"""The workspace's own refusals carry a code, and are said on its pages in the reader's language with local digits."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import translation

from corridor.errors import InvalidInput
from corridor.refusals import in_language
from corridor.web import services as web

pytestmark = pytest.mark.django_db


def test_a_language_kept_without_signing_in_is_refused_with_its_code() -> None:
    with pytest.raises(InvalidInput) as refused:
        web.set_language(AnonymousUser(), "fa")
    error = refused.value
    assert error.code == "language.not_signed_in" and str(error) == "user: sign in to keep a language"
    with translation.override("fa"):
        assert in_language(error) == "برای نگه داشتن زبان وارد شوید"


def test_a_token_not_found_is_refused_on_the_users_page_in_the_admins_language_with_local_digits(
    client_for: Callable[[str], Client],
) -> None:
    admin = client_for("admin")
    admin.post(reverse("web:set_language"), {"language": "fa"})
    response = admin.post(reverse("web:user_token_revoke", args=["monitor", 4321]), follow=True)
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert said == ["monitor توکن ۴۳۲۱ ندارد"], said
