"""Value-added tax for invoices, in Decimal arithmetic."""

from .amounts import amount
from .invoice import Line, invoice_totals
from .tax import gross, vat

__all__ = ["Line", "amount", "gross", "invoice_totals", "vat"]
