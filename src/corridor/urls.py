from django.contrib import admin
from django.urls import include, path

from corridor.web.throttle import ThrottledLoginView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("corridor.api.urls")),
    # Sign-in with throttling; it must come before Django's own login view in the include below.
    path("accounts/login/", ThrottledLoginView.as_view(), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("reports/", include("corridor.reports.urls")),
    path("intake/", include("corridor.intake.urls")),
    path("supplies/", include("corridor.supplies.urls")),
    path("jobs/", include("corridor.jobs.urls")),
    path("", include("corridor.web.urls")),
]
