"""Commands internal API routes, mounted under ``/api/v1/`` (no trailing slashes)."""

from django.urls import path

from roaming.commands.api import views

app_name = "commands-api"

urlpatterns = [
    path("commands/start_session", views.StartSessionCommandView.as_view(), name="start_session"),
    path("commands/stop_session", views.StopSessionCommandView.as_view(), name="stop_session"),
    path("commands/reserve_now", views.ReserveNowCommandView.as_view(), name="reserve_now"),
    path("commands/cancel_reservation", views.CancelReservationCommandView.as_view(), name="cancel_reservation"),
    path("commands/unlock_connector", views.UnlockConnectorCommandView.as_view(), name="unlock_connector"),
    path("commands/<uuid:uid>", views.CommandView.as_view(), name="command"),
    path("commands/<uuid:uid>/result", views.CommandResultCsmsView.as_view(), name="result"),
]
