"""The workspace's addresses. Every name here needs a row in tests/test_permissions.py's table."""

from __future__ import annotations

from django.urls import path

from corridor.web.views import (
    account,
    attachments,
    audit,
    companions,
    dashboard,
    incidents,
    ledger,
    outbox,
    patients,
    plans,
    trips,
    users,
)

app_name = "web"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("language/", account.set_language, name="set_language"),
    path("account/password/", account.password_change, name="password_change"),
    path("users/", users.user_list, name="users"),
    path("users/new/", users.user_create, name="user_create"),
    path("users/<str:username>/", users.user_detail, name="user"),
    path("users/<str:username>/roles/", users.user_roles, name="user_roles"),
    path("users/<str:username>/sites/", users.user_sites, name="user_sites"),
    path("users/<str:username>/password-reset/", users.user_password_reset, name="user_password_reset"),
    path("users/<str:username>/active/", users.user_active, name="user_active"),
    path("users/<str:username>/tokens/", users.user_token_issue, name="user_token_issue"),
    path("users/<str:username>/tokens/<int:token_id>/revoke/", users.user_token_revoke, name="user_token_revoke"),
    path("audit/sign-ins/", audit.sign_ins, name="sign_ins"),
    path("audit/break-glass/", audit.break_glass_list, name="break_glass_list"),
    path("audit/break-glass/<int:pk>/acknowledge/", audit.break_glass_acknowledge, name="break_glass_acknowledge"),
    path("patients/", patients.patient_list, name="patients"),
    path("patients/new/", patients.patient_create, name="patient_create"),
    path("patients/by-name/", patients.patient_search_by_name, name="patient_search_by_name"),
    path("patients/<str:code>/", patients.patient_detail, name="patient"),
    path("patients/<str:code>/change/", patients.patient_edit, name="patient_edit"),
    path("patients/<str:code>/identity/", patients.patient_identity, name="patient_identity"),
    path("patients/<str:code>/break-glass/", audit.patient_break_glass, name="patient_break_glass"),
    path("patients/<str:code>/identity/change/", patients.identity_edit, name="identity_edit"),
    path("patients/<str:code>/refer/", patients.referral_create, name="referral_create"),
    path("patients/<str:code>/death/", patients.patient_death, name="patient_death"),
    path("referrals/<int:pk>/close/", patients.referral_close, name="referral_close"),
    path("plan/", plans.plan, name="plan"),
    path("plan/propose/", plans.plan_propose, name="plan_propose"),
    path("plan/accept/", plans.plan_accept, name="plan_accept"),
    path("plan/check/", plans.plan_check, name="plan_check"),
    path("trips/", trips.trip_list, name="trips"),
    path("trips/<int:pk>/", trips.trip_detail, name="trip"),
    path("trips/outbox/", outbox.outbox_send, name="outbox"),
    path("trips/worker.js", outbox.outbox_worker, name="outbox_worker"),
    *(
        path(f"trips/<int:pk>/{name.replace('_', '-')}/", trips.recorder(name), name=f"trip_{name}")
        for name in trips.ACTIONS
    ),
    path("trips/<int:pk>/companions/ask/", companions.trip_companion_ask, name="trip_companion_ask"),
    path("trips/<int:pk>/companions/answer/", companions.trip_companion_answer, name="trip_companion_answer"),
    path("companions/", companions.companion_list, name="companions"),
    path("companions/new/", companions.companion_create, name="companion_create"),
    path("companions/<str:code>/identity/", companions.companion_identity, name="companion_identity"),
    path("incidents/", incidents.incident_list, name="incidents"),
    path("incidents/new/", incidents.incident_create, name="incident_create"),
    path("ledger/", ledger.ledger_list, name="ledger"),
    path("ledger/verify/", ledger.ledger_verify, name="ledger_verify"),
    path("ledger/<int:seq>/", ledger.ledger_entry, name="ledger_entry"),
    path("ledger/<int:seq>/text/", ledger.ledger_text, name="ledger_text"),
    path("ledger/<int:seq>/attach/", attachments.attachment_add, name="attachment_add"),
    path("attachments/<int:seq>/image/", attachments.attachment_image, name="attachment_image"),
    path("attachments/<int:seq>/original/", attachments.attachment_original, name="attachment_original"),
]
