"""Commands Receiver interface (our CPO), mounted at ``/ocpi/2.2.1/cpo/commands``."""

from django.urls import re_path

from roaming.commands.ocpi.views import CommandReceiverView

urlpatterns = [
    re_path(r"^/(?P<command>[^/]+)/?$", CommandReceiverView.as_view(), name="ocpi-commands-receiver"),
]
