"""Commands Sender interface (our eMSP), mounted at ``/ocpi/2.2.1/emsp/commands``: the ``response_url`` of each
command we send is ``{this}/{command}/{token}``."""

from django.urls import re_path

from roaming.commands.ocpi.views import CommandResultView

urlpatterns = [
    re_path(r"^/(?P<command>[^/]+)/(?P<token>[^/]+)/?$", CommandResultView.as_view(), name="ocpi-commands-result"),
]
