from django.urls import path

from corridor.web import views

urlpatterns = [
    path("", views.home, name="home"),
]
