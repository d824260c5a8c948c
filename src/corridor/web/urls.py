"""The workspace's addresses. Every name here needs a row in tests/test_permissions.py's table."""

from __future__ import annotations

from django.urls import path

from corridor.web.views import account, attachments, dashboard, ledger, patients, plans, trips

app_name = "web"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("language/", account.set_language, name="set_language"),
    path("patients/", patients.patient_list, name="patients"),
    path("patients/new/", patients.patient_create, name="patient_create"),
    path("patients/<str:code>/", patients.patient_detail, name="patient"),
    path("patients/<str:code>/change/", patients.patient_edit, name="patient_edit"),
    path("patients/<str:code>/identity/", patients.patient_identity, name="patient_identity"),
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
    *(
        path(f"trips/<int:pk>/{name.replace('_', '-')}/", trips.recorder(name), name=f"trip_{name}")
        for name in trips.ACTIONS
    ),
    path("ledger/", ledger.ledger_list, name="ledger"),
    path("ledger/verify/", ledger.ledger_verify, name="ledger_verify"),
    path("ledger/<int:seq>/", ledger.ledger_entry, name="ledger_entry"),
    path("ledger/<int:seq>/attach/", attachments.attachment_add, name="attachment_add"),
    path("attachments/<int:seq>/image/", attachments.attachment_image, name="attachment_image"),
    path("attachments/<int:seq>/original/", attachments.attachment_original, name="attachment_original"),
]
