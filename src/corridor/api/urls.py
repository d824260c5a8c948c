from django.urls import path

from corridor.api.main import api

urlpatterns = [path("", api.urls)]
