"""Staff groups with sensible permissions out of the box: what each kind of back-office user may see and do.

=====================  ==========================================================================================
Group                  For
=====================  ==========================================================================================
Partner management     onboarding: invite/register/rotate/suspend partners, their schedules; reads everything else
Operations             the network and the sync jobs: chargers, tariffs, tokens, sessions, commands, pushes and
                       pulls, periodic tasks; reads partners, CDRs
Finance                money: CDRs (review, disputes, credits), reconciliation; reads tariffs, sessions, partners
Read-only              looks at every business section, changes nothing
=====================  ==========================================================================================

Technical sections (API auth tokens, users and groups, crontab/solar/clocked schedules) belong to superusers only:
no group gets them, so business staff do not see them in the admin.

Rules name an app label (every model of the app) or ``app_label.model``; apps that do not exist yet (a module not
built) are skipped, and ``ensure_staff_groups`` runs after every ``migrate`` (``post_migrate``), so a new module's
models join the groups when it is installed. Groups are only ever given permissions here, never stripped of any
that staff added by hand.
"""

from django.db import transaction

VIEW, ADD, CHANGE, DELETE = "view", "add", "change", "delete"
ALL = (VIEW, ADD, CHANGE, DELETE)
EDIT = (VIEW, ADD, CHANGE)

#: every business app: what "Read-only" may look at
BUSINESS_APPS = (
    "partners",
    "locations",
    "tariffs",
    "tokens",
    "charging_sessions",
    "cdrs",
    "commands",
    "reconciliation",
    "ocpi",
)
#: schedules staff may edit (the periodic task and its interval), without crontab/solar/clocked internals
SCHEDULES = {"django_celery_beat.periodictask": EDIT, "django_celery_beat.intervalschedule": (VIEW, ADD)}

GROUPS: dict[str, dict[str, tuple[str, ...]]] = {
    "Read-only": dict.fromkeys(BUSINESS_APPS, (VIEW,)),
    "Partner management": {
        **dict.fromkeys(BUSINESS_APPS, (VIEW,)),
        "partners": EDIT,
        "ocpi.outboxmessage": (VIEW, CHANGE),  # retry a failed push after fixing a partner
        **SCHEDULES,
    },
    "Operations": {
        **dict.fromkeys(BUSINESS_APPS, (VIEW,)),
        "partners.partner": (VIEW, CHANGE),  # pull now, suspend a misbehaving partner
        "locations": ALL,
        "tariffs": EDIT,
        "tokens": EDIT,
        "charging_sessions": EDIT,
        "commands": EDIT,
        "ocpi.outboxmessage": (VIEW, CHANGE),
        "ocpi.syncrun": (VIEW, CHANGE),
        **SCHEDULES,
    },
    "Finance": {
        **dict.fromkeys(BUSINESS_APPS, (VIEW,)),
        "cdrs": EDIT,
        "reconciliation": EDIT,
    },
}


def ensure_staff_groups(**kwargs) -> dict[str, int]:
    """Create the groups and grant their permissions (idempotent); return the permission count per group."""
    from django.contrib.auth.models import Group, Permission

    counts = {}
    with transaction.atomic():
        permissions = list(Permission.objects.select_related("content_type"))
        for name, rules in GROUPS.items():
            group, _ = Group.objects.get_or_create(name=name)
            wanted = []
            for permission in permissions:
                action = permission.codename.split("_", 1)[0]
                content_type = permission.content_type
                specific = rules.get(f"{content_type.app_label}.{content_type.model}")
                allowed = specific if specific is not None else rules.get(content_type.app_label, ())
                if action in allowed:
                    wanted.append(permission)
            group.permissions.add(*wanted)
            counts[name] = len(wanted)
    return counts
