"""Django's admin for users, groups and the accounts app: read-only for everyone, admins included.

Every change to an account is an act with a ledger entry, made from Corridor's account pages, the
``corridor users`` and ``corridor tokens`` commands or the API (``corridor.accounts.services``).
"""

from django.contrib import admin
from django.contrib.auth.models import Group, User

from corridor.accounts.models import AccountState, ApiToken, BreakGlass, SignIn
from corridor.admin_base import ReadOnlyAdmin

admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class UserAdmin(ReadOnlyAdmin):
    list_display = ("username", "is_active", "last_login", "date_joined")
    exclude = ("password", "user_permissions")
    search_fields = ("username",)


@admin.register(Group)
class GroupAdmin(ReadOnlyAdmin):
    list_display = ("name",)
    exclude = ("permissions",)


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ("pk", "user", "label", "prefix", "created_at", "revoked_at")
    exclude = ("digest",)


@admin.register(SignIn)
class SignInAdmin(ReadOnlyAdmin):
    list_display = ("at", "outcome", "username", "address")


@admin.register(BreakGlass)
class BreakGlassAdmin(ReadOnlyAdmin):
    list_display = ("opened_at", "user", "patient", "expires_at", "acknowledged_by")


@admin.register(AccountState)
class AccountStateAdmin(ReadOnlyAdmin):
    list_display = ("user", "must_change_password", "reset_by", "reset_at")
