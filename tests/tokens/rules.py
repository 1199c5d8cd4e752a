"""Authorization rules used by the tests of the hook (as a business would write them)."""

from roaming.tokens.choices import AllowedType
from roaming.tokens.services.authorize import AuthorizationRequest, Verdict


def no_credit_for_group_prepaid(request: AuthorizationRequest) -> Verdict | None:
    if request.token.group_id == "PREPAID-EMPTY":
        return Verdict(AllowedType.NO_CREDIT, info="Top up your balance in the app")
    return None


def only_evse_1(request: AuthorizationRequest) -> Verdict | None:
    return Verdict(AllowedType.ALLOWED, evse_uids=("EVSE-1",))


def broken(request: AuthorizationRequest) -> Verdict | None:
    raise RuntimeError("credit service down")
