"""Our CPO's sessions as our CSMS reports them (mod_sessions.asciidoc, "Flow and Lifecycle"; the internal API).

Every call is keyed on the CSMS's own transaction id and idempotent: a repeated start returns the session already
made, a repeated or older meter reading or status change is acknowledged and ignored, a repeated stop changes
nothing. A bad call (an unknown charger or token, energy going backwards, a time in the future) raises a
``DomainError`` naming the field and writes nothing.

Each accepted change re-prices the session from its readings (``roaming.sessions.live``) and is announced to the
owning eMSP in the same transaction (``roaming.sessions.services.announce``).

The package splits it by concern: ``common`` (results, the session's row and its price), ``start``, ``meter``
(meter values, one session's or a batch of many) and ``status`` (status changes and the stop).
"""

from roaming.sessions.services.csms.common import CLOCK_SKEW, LIVE_FIELDS, CsmsResult, Outcome, session_get_own
from roaming.sessions.services.csms.meter import (
    BatchItemResult,
    session_meter_values_batch_from_csms,
    session_meter_values_from_csms,
)
from roaming.sessions.services.csms.start import session_start_from_csms
from roaming.sessions.services.csms.status import session_status_from_csms, session_stop_from_csms

__all__ = [
    "CLOCK_SKEW",
    "LIVE_FIELDS",
    "BatchItemResult",
    "CsmsResult",
    "Outcome",
    "session_get_own",
    "session_meter_values_batch_from_csms",
    "session_meter_values_from_csms",
    "session_start_from_csms",
    "session_status_from_csms",
    "session_stop_from_csms",
]
