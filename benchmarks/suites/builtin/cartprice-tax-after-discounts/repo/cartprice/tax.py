"""Sales tax rates per product category."""

from .cart import money, round_cents


class TaxTable:
    def __init__(self, rates=None, default="0"):
        """*rates* maps categories to rates as fractions ("0.20" is 20 %)."""
        self._rates = {category: money(rate) for category, rate in (rates or {}).items()}
        self.default = money(default)
        for rate in [self.default, *self._rates.values()]:
            if rate < 0:
                raise ValueError("tax rates cannot be negative")

    def rate_for(self, category):
        return self._rates.get(category, self.default)

    def tax_for(self, line):
        """The tax on a cart line, rounded half-up to the cent."""
        return round_cents(line.amount * self.rate_for(line.category))
