from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from corridor.web.throttle import ThrottledLoginView

urlpatterns = [
    # The Django admin's own password change would write no ledger entry: send it to Corridor's.
    path("admin/password_change/", RedirectView.as_view(url="/account/password/")),
    path("admin/", admin.site.urls),
    path("api/", include("corridor.api.urls")),
    # Sign-in with throttling (the admin's sign-in form uses the same backend).
    path("accounts/login/", ThrottledLoginView.as_view(), name="login"),
    # Only signing out from Django's set: its password change and e-mail reset would bypass the services.
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("reports/", include("corridor.reports.urls")),
    path("intake/", include("corridor.intake.urls")),
    path("supplies/", include("corridor.supplies.urls")),
    path("jobs/", include("corridor.jobs.urls")),
    path("", include("corridor.web.urls")),
]
