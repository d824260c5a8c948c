from django.urls import path

from corridor.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("monthly/", views.monthly, name="monthly"),
    path("export/", views.export, name="export"),
    path("narrative/", views.narrative, name="narrative"),
    path("dossier/<str:code>/", views.dossier, name="dossier"),
]
