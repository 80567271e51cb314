from decimal import Decimal

from vatcalc import Line, gross, invoice_totals, vat


def test_gross_is_rounded_to_the_cent():
    assert gross("19.99", "0.2") == Decimal("23.99")


def test_halves_round_up():
    assert vat("0.25", "0.1") == Decimal("0.03")
    assert gross("0.25", "0.1") == Decimal("0.28")


def test_two_decimal_places():
    assert str(gross("100", "0.2")) == "120.00"
    assert str(vat("100", "0.2")) == "20.00"


def test_gross_of_a_typical_price():
    assert gross("49.95", "0.2") == Decimal("59.95")


def test_invoice_adds_up_rounded_lines():
    totals = invoice_totals([Line("a", "19.99", "0.2", 3), Line("b", "0.25", "0.1")])
    assert totals["vat"] == Decimal("12.03")
    assert totals["gross"] == totals["net"] + totals["vat"]


def test_net_plus_vat_is_gross():
    for net, rate in (("19.99", "0.2"), ("0.25", "0.1"), ("7", "0.07")):
        assert Decimal(net) + vat(net, rate) == gross(net, rate)
