"""Hot statements prepared on the connection (roaming/core/backends/postgresql/base.py ``prepared_cursor``,
roaming/core/sql.py ``hot_cursor``): planned once per connection, with their columns named so a migration that adds
one does not break a running server, and nothing prepared when ``DATABASE_PREPARED_STATEMENTS`` is off."""

import pytest
from django.db import DatabaseError, connection
from django.db.models.signals import post_save
from django.forms.models import model_to_dict

from roaming.core.sql import columns, fetch_instance, insert_instance, update_instance
from roaming.partners.models import Partner, PartnerToken
from tests.partners.factories import PartnerFactory

pytestmark = pytest.mark.django_db


def partner_sql() -> str:
    return f"SELECT {columns(Partner)} FROM partners_partner WHERE id = %s"  # noqa: S608


def prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_a_hot_statement_is_prepared_once_and_a_plain_one_never():
    partner = PartnerFactory()
    for _ in range(3):
        assert fetch_instance(Partner, partner_sql(), [partner.pk]) == partner
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM partners_partner WHERE id = %s", [partner.pk])
    statements = prepared()
    assert statements.count(partner_sql().replace("%s", "$1")) == 1
    assert not [s for s in statements if s.startswith("SELECT count(*)")]


def test_the_queries_are_still_seen_by_django(django_assert_num_queries):
    partner = PartnerFactory()
    with django_assert_num_queries(2) as captured:
        fetch_instance(Partner, partner_sql(), [partner.pk])
        fetch_instance(Partner, partner_sql(), [partner.pk])
    assert "partners_partner" in captured.captured_queries[1]["sql"]


def test_a_column_added_after_preparing_leaves_the_read_working():
    """A prepared ``SELECT *`` fails once the table gains a column (cached plan must not change result type): a
    deploy migrates while the old processes still serve."""
    partner = PartnerFactory(name="Before")
    fetch_instance(Partner, partner_sql(), [partner.pk])
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE partners_partner ADD COLUMN added_by_a_migration integer")  # rolled back after
    assert fetch_instance(Partner, partner_sql(), [partner.pk]).name == "Before"


def test_nothing_is_prepared_when_the_setting_is_off(settings):
    settings.DATABASE_PREPARED_STATEMENTS = False
    partner = PartnerFactory()
    sql = partner_sql() + " AND TRUE"  # a text no other test prepared on this connection
    fetch_instance(Partner, sql, [partner.pk])
    assert [s for s in prepared() if s.endswith("AND TRUE")] == []


@pytest.fixture
def saved():
    """The post_save signals of Partner sent meanwhile: (created, update_fields)."""
    seen = []

    def receiver(sender, instance, created, update_fields, **kwargs):
        seen.append((instance.pk, created, update_fields))

    post_save.connect(receiver, sender=Partner, dispatch_uid="test-prepared")
    yield seen
    post_save.disconnect(sender=Partner, dispatch_uid="test-prepared")


def test_insert_instance_stores_what_the_orm_would_and_signals_it(saved):
    orm = PartnerFactory.build(name="Same")
    orm.save()
    ours = insert_instance(PartnerFactory.build(name="Same", website=orm.website, versions_url=orm.versions_url))
    assert ours.pk and not ours._state.adding
    stored = Partner.objects.get(pk=ours.pk)
    different = {"id", "created_at", "updated_at", "registered_at"}  # the factory stamps each build
    assert {k: v for k, v in model_to_dict(stored).items() if k not in different} == {
        k: v for k, v in model_to_dict(orm).items() if k not in different
    }
    assert stored.created_at is not None and stored.updated_at >= orm.updated_at  # auto_now_add / auto_now set
    assert saved == [(orm.pk, True, None), (ours.pk, True, None)]


def test_update_instance_writes_only_its_fields_and_signals_them(saved):
    partner = PartnerFactory(name="Old")
    Partner.objects.filter(pk=partner.pk).update(website="https://elsewhere.example")
    partner.name, partner.website = "New", "https://not-saved.example"
    before = partner.updated_at
    update_instance(partner, ["name", "updated_at"])
    stored = Partner.objects.get(pk=partner.pk)
    assert (stored.name, stored.website) == ("New", "https://elsewhere.example")
    assert stored.updated_at > before
    assert saved[-1] == (partner.pk, False, frozenset({"name", "updated_at"}))


def test_update_instance_of_a_row_that_is_gone_fails_as_the_orm_does():
    partner = PartnerFactory()
    Partner.objects.filter(pk=partner.pk).delete()
    with pytest.raises(DatabaseError, match="did not affect any rows"):
        update_instance(partner, ["name"])


def test_insert_instance_if_absent_writes_nothing_over_a_held_unique_key():
    partner = PartnerFactory()
    PartnerToken.objects.create(partner=partner, kind="C", digest="d" * 64)
    signalled = []
    post_save.connect(
        lambda instance, **kw: signalled.append(instance), sender=PartnerToken, weak=False, dispatch_uid="t"
    )
    try:
        assert insert_instance(PartnerToken(partner=partner, kind="A", digest="d" * 64), if_absent=True) is None
        new = insert_instance(PartnerToken(partner=partner, kind="A", digest="e" * 64), if_absent=True)
    finally:
        post_save.disconnect(sender=PartnerToken, dispatch_uid="t")
    assert new.pk and not new._state.adding
    assert sorted(PartnerToken.objects.values_list("digest", "kind")) == [("d" * 64, "C"), ("e" * 64, "A")]
    assert signalled == [new]  # the insert that wrote nothing is not reported as saved


@pytest.mark.django_db(transaction=True)  # xmin tells another transaction's write: each statement is its own here
def test_update_instance_at_a_version_writes_only_if_the_row_is_still_that_version(saved):
    partner = PartnerFactory(name="Before")
    sql = f"SELECT {columns(Partner)}, xmin::text AS row_version FROM partners_partner WHERE id = %s"  # noqa: S608
    read = fetch_instance(Partner, sql, [partner.pk])
    Partner.objects.filter(pk=partner.pk).update(website="https://meanwhile.example")  # another writer
    read.name = "Lost"
    assert update_instance(read, ["name"], row_version=read.row_version) is False
    assert Partner.objects.values_list("name", "website").get(pk=partner.pk) == ("Before", "https://meanwhile.example")
    assert saved == [(partner.pk, True, None)]  # the factory's save; the write that did not happen sends nothing
    again = fetch_instance(Partner, sql, [partner.pk])
    again.name = "After"
    assert update_instance(again, ["name"], row_version=again.row_version) is True
    assert Partner.objects.values_list("name", "website").get(pk=partner.pk) == ("After", "https://meanwhile.example")
