"""CDRs in the admin: finance's review (``cdr``), the quarantine (``quarantine``), exports (``exports``)."""

from roaming.cdrs.admin.cdr import CdrAdmin
from roaming.cdrs.admin.quarantine import QuarantinedCdrAdmin

__all__ = ["CdrAdmin", "QuarantinedCdrAdmin"]
