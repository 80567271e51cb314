from decimal import Decimal

from cartprice import Cart, FixedOff, LineItem, PercentOff, TaxTable, price

D = Decimal
TAXES = TaxTable({"books": "0", "clothing": "0.20"}, default="0.10")


def mixed_cart():
    cart = Cart()
    cart.add("novel", "20.00", category="books")
    cart.add("shirt", "15.00", quantity=2, category="clothing")
    return cart


def test_tax_is_charged_on_the_discounted_line_amount():
    receipt = price(mixed_cart(), [PercentOff(10, category="clothing")], TAXES)
    shirt = receipt.lines[1]
    assert shirt.discount == D("3.00")
    assert shirt.tax == D("5.40")
    assert receipt.tax == D("5.40")
    assert receipt.total == D("52.40")


def test_discounted_tax_is_still_rounded_line_by_line():
    cart = Cart()
    for sku in ["a", "b", "c"]:
        cart.add(sku, "0.50")
    receipt = price(cart, [PercentOff(50)], TaxTable(default="0.10"))
    assert [line.discount for line in receipt.lines] == [D("0.25")] * 3
    assert [line.tax for line in receipt.lines] == [D("0.03")] * 3
    assert receipt.tax == D("0.09")
    assert receipt.total == D("0.84")


def test_coupon_is_shared_between_lines_in_proportion():
    receipt = price(mixed_cart(), [PercentOff(10, category="clothing"), FixedOff("10.00")], TAXES)
    novel, shirt = receipt.lines
    assert (novel.discount, novel.coupon) == (D("0.00"), D("4.26"))
    assert (shirt.discount, shirt.coupon) == (D("3.00"), D("5.74"))
    assert novel.tax == D("0.00")
    assert shirt.tax == D("4.25")
    assert receipt.discount_total == D("13.00")
    assert receipt.tax == D("4.25")
    assert receipt.total == D("41.25")


def test_receipt_line_net_amount():
    receipt = price(mixed_cart(), [PercentOff(10, category="clothing"), FixedOff("10.00")], TAXES)
    assert [line.net for line in receipt.lines] == [D("15.74"), D("21.26")]
    plain = price(mixed_cart(), [], TAXES)
    assert [(line.coupon, line.net) for line in plain.lines] == [(D("0.00"), D("20.00")), (D("0.00"), D("30.00"))]


def test_rounding_remainder_goes_to_the_largest_line():
    cart = Cart()
    cart.add("a", "1.00")
    cart.add("b", "1.00")
    cart.add("c", "4.00")
    receipt = price(cart, [FixedOff("1.00")], TaxTable(default="0.10"))
    assert [line.coupon for line in receipt.lines] == [D("0.17"), D("0.17"), D("0.66")]
    assert [line.tax for line in receipt.lines] == [D("0.08"), D("0.08"), D("0.33")]
    assert receipt.total == D("5.49")


def test_rounding_remainder_tie_goes_to_the_first_largest_line():
    cart = Cart()
    for sku in ["a", "b", "c"]:
        cart.add(sku, "10.00")
    receipt = price(cart, [FixedOff("10.00")])
    assert [line.coupon for line in receipt.lines] == [D("3.34"), D("3.33"), D("3.33")]
    assert receipt.discount_total == D("10.00")


def test_several_coupons_are_shared_together():
    cart = Cart()
    cart.add("a", "30.00", category="clothing")
    cart.add("b", "10.00", category="books")
    receipt = price(cart, [FixedOff("3.00"), FixedOff("5.00")], TAXES)
    assert [line.coupon for line in receipt.lines] == [D("6.00"), D("2.00")]
    assert receipt.tax == D("4.80")
    assert receipt.total == D("36.80")


def test_coupon_covering_everything_leaves_no_tax():
    cart = Cart()
    cart.add("shirt", "10.00", category="clothing")
    cart.add("novel", "5.00", category="books")
    receipt = price(cart, [PercentOff(50, category="books"), FixedOff("50.00")], TAXES)
    assert [line.coupon for line in receipt.lines] == [D("10.00"), D("2.50")]
    assert receipt.discount_total == D("15.00")
    assert receipt.tax == D("0.00")
    assert receipt.total == D("0.00")


def test_coupon_eligibility_uses_subtotal_before_discounts():
    receipt = price(mixed_cart(), [PercentOff(50), FixedOff("5.00", min_subtotal="50")])
    assert receipt.discount_total == D("30.00")
    assert receipt.total == D("20.00")


def test_tax_for_a_line_item_is_unchanged():
    line = LineItem("shirt", D("15.00"), 2, "clothing")
    assert TAXES.tax_for(line) == D("6.00")
    assert TAXES.rate_for("unknown") == D("0.10")


def test_untaxed_discounts_unchanged():
    receipt = price(mixed_cart(), [PercentOff(10, category="clothing"), FixedOff("10.00")])
    assert receipt.tax == D("0.00")
    assert receipt.discount_total == D("13.00")
    assert receipt.total == D("37.00")
    assert [line.discount for line in receipt.lines] == [D("0.00"), D("3.00")]
