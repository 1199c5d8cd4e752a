"""Reads about partners (the push and pull engines reach them through ``roaming.partners.directory``)."""

from functools import cache

from django.db import connection

from roaming.partners.choices import PartnerStatus
from roaming.partners.models import Partner, PartnerEndpoint, PartnerRole


@cache
def _receivers_sql() -> str:
    q = connection.ops.quote_name
    return (
        f"SELECT DISTINCT e.partner_id FROM {q(PartnerEndpoint._meta.db_table)} e "  # noqa: S608
        f"JOIN {q(Partner._meta.db_table)} p ON p.id = e.partner_id "
        "WHERE e.identifier = %s AND e.role = 'RECEIVER' AND p.status = %s ORDER BY e.partner_id"
    )


def partner_receiver_ids(*, identifier: str) -> list[int]:
    """Registered partners that published a RECEIVER endpoint for module ``identifier`` (who gets our pushes). Asked
    on every change we push (each meter reading of a session), so one statement written once."""
    with connection.cursor() as cursor:
        cursor.execute(_receivers_sql(), [identifier, PartnerStatus.REGISTERED])
        return [row[0] for row in cursor.fetchall()]


def partner_endpoint_url(*, partner_id: int, identifier: str, role: str) -> str | None:
    """The URL a partner published for ``identifier``/``role`` in its version details, if any."""
    return (
        PartnerEndpoint.objects.filter(partner_id=partner_id, identifier=identifier, role=role)
        .values_list("url", flat=True)
        .first()
    )


def partner_status(*, partner_id: int) -> str | None:
    """The partner's status: asked before every real-time authorization and push, so one column by primary key in a
    statement written once."""
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(Partner._meta.db_table)
        cursor.execute(f"SELECT status FROM {table} WHERE id = %s", [partner_id])  # noqa: S608
        row = cursor.fetchone()
    return row[0] if row else None


def partner_role(*, partner_id: int, role: str) -> PartnerRole | None:
    """The partner's first role of kind ``role`` (CPO, EMSP...), or None."""
    return PartnerRole.objects.filter(partner_id=partner_id, role=role).order_by("pk").first()
