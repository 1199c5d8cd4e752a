"""Each staff group logs in and sees its sections of the admin, and no technical ones."""

import pytest
from django.contrib.auth.models import Group

DASHBOARD_PANELS = ("partners", "pushes", "network", "sessions", "cdrs-review", "cdrs-activity", "reconciliation")


def admin_sections(page) -> set[str]:
    return {
        name.strip()
        for name in page.locator("#nav-sidebar-apps a").all_text_contents()  # the sidebar: sections, then their pages
    }


@pytest.mark.parametrize(
    ("group", "sees", "does_not_see"),
    [
        ("Read-only", {"Partners", "Tariffs", "Traffic log"}, {"API keys", "Crontabs", "Users", "Periodic tasks"}),
        ("Partner management", {"Partners", "Periodic tasks"}, {"Crontabs", "Solar events", "Users", "API keys"}),
        ("Operations", {"EVSEs", "Periodic tasks", "Sync runs"}, {"Crontabs", "Clocked", "Users", "API keys"}),
        ("Finance", {"Partners", "Tariffs"}, {"Periodic tasks", "Crontabs", "Users", "API keys"}),
    ],
)
def test_staff_group_sees_its_sections(staff_page, django_user_model, group, sees, does_not_see):
    user = django_user_model.objects.create_user(f"staff-{group.lower().replace(' ', '-')}", is_staff=True)
    user.groups.add(Group.objects.get(name=group))

    page = staff_page(user)

    sections = admin_sections(page)
    assert sees <= sections, sections
    assert not (does_not_see & sections), sections
    # Every group reads every business section, so each lands on the whole dashboard (drawn without a JS error).
    panels = page.locator("#dashboard section.dashboard-panel").evaluate_all("sections => sections.map(s => s.id)")
    assert panels == [f"panel-{key}" for key in DASHBOARD_PANELS]
