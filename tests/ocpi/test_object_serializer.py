"""roaming.ocpi.serializers.OcpiObjectSerializer: DRF's validation loop, with absent optional members skipped
without asking their fields (the same outcome as DRF's ``SkipField``, without raising it per member)."""

import pytest
from rest_framework import serializers

from roaming.ocpi.fields import CiStringField, OcpiStringField
from roaming.ocpi.serializers import OcpiObjectSerializer, OcpiUrlField


class Child(OcpiObjectSerializer):
    text = OcpiStringField(10)


def fields() -> dict:
    return {
        "required": CiStringField(5),
        "optional": OcpiStringField(10, required=False),
        "optional_url": OcpiUrlField(255, required=False),
        "number": serializers.IntegerField(required=False),
        "defaulted": serializers.IntegerField(required=False, default=7),
        "callable_default": serializers.ListField(required=False, default=list),
        "child": Child(required=False),
        "children": Child(many=True, required=False),
        "nullable": serializers.CharField(required=False, allow_null=True),
    }


class Ours(OcpiObjectSerializer):
    locals().update(fields())


class Drfs(serializers.Serializer):
    locals().update(fields())


CASES = [
    {"required": "A"},
    {"required": "A", "optional": "x", "number": 3, "child": {"text": "t"}, "children": [{"text": "u"}]},
    {"required": "A", "defaulted": 1, "callable_default": [1], "optional_url": "https://example.com/"},
    {"required": "A", "nullable": "n", "optional": ""},
    {},
    {"optional": "x"},
    {"required": "A", "number": "not a number", "child": {}, "children": [{}]},
    {"required": "A", "optional_url": "not a url"},
]


def outcome(serializer, data):
    try:
        return "ok", dict(serializer.run_validation(data))
    except serializers.ValidationError as exc:
        return "error", exc.detail


@pytest.mark.parametrize("data", CASES)
@pytest.mark.parametrize("partial", [False, True])
def test_same_outcome_as_drf(data, partial):
    # null members are dropped first by ours (OCPI: null is absent); the cases carry none
    assert outcome(Ours(partial=partial), data) == outcome(Drfs(partial=partial), data)


def test_an_absent_optional_member_is_not_handed_to_its_field(monkeypatch):
    serializer = Ours()
    asked = []
    for name, field in serializer.fields.items():
        monkeypatch.setattr(field, "run_validation", lambda data=serializers.empty, n=name, f=field: asked.append(n))

    serializer.run_validation({"required": "A"})

    # the optional members without default are skipped; a default or a required member is still its field's call
    assert asked == ["required", "defaulted", "callable_default"]
