"""The supplies pages, included under ``/supplies/`` by corridor/urls.py."""

from __future__ import annotations

from django.urls import path

from corridor.supplies import views

app_name = "supplies"

urlpatterns = [
    path("", views.status, name="status"),
    path("count/", views.record_count, name="count"),
    path("adjust/", views.record_adjustment, name="adjust"),
    path("request/", views.request_delivery, name="request"),
    path("deliveries/<int:pk>/answer/", views.answer_delivery, name="answer"),
    path("blocked/", views.record_blocked, name="blocked"),
    path("power/", views.record_power, name="power"),
    path("dependences/new/", views.record_dependence, name="dependence"),
    path("dependences/<int:pk>/end/", views.end_dependence, name="end_dependence"),
]
