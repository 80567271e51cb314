from decimal import Decimal

from cartprice import BuyXGetY, Cart, FixedOff, PercentOff, TaxTable, price

D = Decimal


def test_no_discounts_no_tax():
    cart = Cart()
    cart.add("pen", "1.50", quantity=2)
    receipt = price(cart)
    assert (receipt.subtotal, receipt.discount_total, receipt.tax, receipt.total) == (D("3.00"), D("0.00"), D("0.00"), D("3.00"))


def test_tax_by_category():
    cart = Cart()
    cart.add("novel", "10.00", category="books")
    cart.add("shirt", "20.00", category="clothing")
    cart.add("mug", "5.00", category="kitchen")
    taxes = TaxTable({"books": "0", "clothing": "0.20"}, default="0.10")
    receipt = price(cart, tax_table=taxes)
    assert [line.tax for line in receipt.lines] == [D("0.00"), D("4.00"), D("0.50")]
    assert receipt.tax == D("4.50")
    assert receipt.total == D("39.50")


def test_tax_is_rounded_line_by_line():
    cart = Cart()
    for sku in ["a", "b", "c"]:
        cart.add(sku, "0.25")
    receipt = price(cart, tax_table=TaxTable(default="0.10"))
    assert [line.tax for line in receipt.lines] == [D("0.03")] * 3
    assert receipt.tax == D("0.09")


def test_percent_off_by_category():
    cart = Cart()
    cart.add("novel", "10.00", category="books")
    cart.add("shirt", "20.00", category="clothing")
    receipt = price(cart, [PercentOff(25, category="clothing")])
    assert [line.discount for line in receipt.lines] == [D("0.00"), D("5.00")]
    assert receipt.total == D("25.00")


def test_buy_two_get_one_free():
    cart = Cart()
    cart.add("soap", "2.50", quantity=7)
    receipt = price(cart, [BuyXGetY("soap", buy=2, free=1)])
    assert receipt.lines[0].discount == D("5.00")
    assert receipt.total == D("12.50")


def test_line_discounts_capped_at_line_amount():
    cart = Cart()
    cart.add("soap", "2.00", quantity=2)
    receipt = price(cart, [PercentOff(100), BuyXGetY("soap", buy=1, free=1)])
    assert receipt.lines[0].discount == D("4.00")
    assert receipt.total == D("0.00")


def test_coupon_minimum_subtotal():
    cart = Cart()
    cart.add("pen", "9.00")
    assert price(cart, [FixedOff("5.00", min_subtotal="10")]).discount_total == D("0.00")
    cart.add("pad", "1.00")
    assert price(cart, [FixedOff("5.00", min_subtotal="10")]).discount_total == D("5.00")


def test_coupons_never_exceed_what_is_left():
    cart = Cart()
    cart.add("pen", "4.00")
    receipt = price(cart, [PercentOff(50), FixedOff("1.50"), FixedOff("5.00")])
    assert receipt.discount_total == D("4.00")
    assert receipt.total == D("0.00")
