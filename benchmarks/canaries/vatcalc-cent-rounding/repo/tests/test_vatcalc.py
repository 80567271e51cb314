from decimal import Decimal

import pytest

from vatcalc import Line, amount, gross, invoice_totals, vat


def test_whole_amounts():
    assert gross("100", "0.2") == Decimal("120")
    assert vat(100, "0.2") == Decimal("20")


def test_floats_and_garbage_are_refused():
    with pytest.raises(TypeError):
        amount(1.5)
    with pytest.raises(ValueError):
        amount("ten")
    with pytest.raises(ValueError):
        vat("10", "1.5")


def test_invoice_totals():
    totals = invoice_totals([Line("book", "10", "0.1", 2), Line("pen", "5", "0.2")])
    assert totals == {"net": Decimal("25"), "vat": Decimal("3"), "gross": Decimal("28")}
