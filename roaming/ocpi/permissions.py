"""OCPI permission checks, declared per view and enforced once here.

* Token A (registration token) only opens versions and credentials; anywhere else: 401
  (credentials.asciidoc, "CREDENTIALS_TOKEN_A ... MAY only be used for ... versions and credentials").
* A caller may only address objects under one of its own roles' country_code/party_id: enforced by
  ``OcpiView.check_party`` for every URL carrying ``country_code``/``party_id``.
"""

from rest_framework.permissions import BasePermission

from roaming.ocpi.caller import OcpiCaller
from roaming.ocpi.exceptions import Unauthorized


class IsOcpiPartner(BasePermission):
    def has_permission(self, request, view) -> bool:
        caller = request.user
        if not isinstance(caller, OcpiCaller):
            raise Unauthorized("Missing Authorization header")
        if not caller.is_registered and not getattr(view, "allow_registration_token", False):
            raise Unauthorized("A registration token (token A) may only be used on versions and credentials")
        return True
