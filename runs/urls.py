"""Routes of the runs API."""

from django.urls import URLPattern, path

from runs import views

urlpatterns: list[URLPattern] = [
    path("runs", views.RunListView.as_view(), name="runs"),
    path("runs/<int:run_id>", views.RunDetailView.as_view(), name="run-detail"),
    path("runs/<int:run_id>/metrics", views.RunMetricsView.as_view(), name="run-metrics"),
    path("runs/<int:run_id>/cancel", views.RunCancelView.as_view(), name="run-cancel"),
    path("runs/<int:run_id>/resume", views.RunResumeView.as_view(), name="run-resume"),
]
