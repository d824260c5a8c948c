from django.urls import path

from corridor.intake import views

app_name = "intake"

urlpatterns = [
    path("", views.upload, name="upload"),
    path("forms/<str:form_id>.xlsx", views.form_file, name="form"),
    path("push/<str:source>/", views.push, name="push"),
    path("refused/<int:refusal_id>/", views.received, name="received"),
]
