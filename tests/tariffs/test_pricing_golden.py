"""The pricing engine against its golden cases (tests/tariffs/pricing_golden.py): every stored tariff and session
must give the stored result, field by field and Decimal exponent by exponent. Issue 13's speed work is held to this.
"""

import pytest

from roaming.tariffs import pricing
from tests.tariffs import pricing_golden

CASES = pricing_golden.load()


def test_the_golden_file_covers_every_kind_of_case():
    names = {case["name"].split("_")[0] for case in CASES}
    assert {"tariff", "bench", "generated"} <= names
    assert len(CASES) >= 500
    assert any(case["timeline"].get("reservation") for case in CASES)
    assert any(case.get("vat_unknown") for case in CASES)
    assert max(case["expected"]["periods"] for case in CASES) >= 8


@pytest.mark.parametrize("case", CASES, ids=[f"{n}-{case['name']}" for n, case in enumerate(CASES)])
def test_the_engine_gives_the_golden_result(case):
    result = pricing_golden.price(case, pricing)
    expected = case["expected"]

    assert pricing_golden.summary(result) == {"periods": expected["periods"], "total_cost": expected["total_cost"]}
    assert pricing_golden.digest(pricing_golden.snapshot(result)) == expected["digest"]
