"""Sessions CSMS API routes, mounted under ``/api/v1/`` (no trailing slashes)."""

from django.urls import path

from roaming.sessions.api import views

app_name = "sessions-api"

urlpatterns = [
    path("sessions", views.SessionStartCsmsView.as_view(), name="start"),
    path("sessions/meter_values", views.SessionMeterValuesBatchCsmsView.as_view(), name="meter-batch"),
    path("sessions/<str:transaction_id>", views.SessionCsmsView.as_view(), name="session"),
    path("sessions/<str:transaction_id>/meter_values", views.SessionMeterValuesCsmsView.as_view(), name="meter"),
    path("sessions/<str:transaction_id>/status", views.SessionStatusCsmsView.as_view(), name="status"),
    path("sessions/<str:transaction_id>/stop", views.SessionStopCsmsView.as_view(), name="stop"),
]
