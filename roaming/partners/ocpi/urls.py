from django.urls import re_path

from roaming.partners.ocpi.views import CredentialsView

urlpatterns = [re_path(r"^/?$", CredentialsView.as_view(), name="ocpi-credentials")]
