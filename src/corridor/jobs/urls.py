from django.urls import path

from corridor.jobs import views

app_name = "jobs"
urlpatterns = [
    path("<int:pk>/progress/", views.job_progress, name="progress"),
    path("<int:pk>/result/", views.job_result, name="result"),
    path("schedule/", views.schedule_page, name="schedule"),
]
