"""Every write in commerce: the cart, orders, payments, invoices. One module per subject; the
names callers use are listed here."""

from licensing.commerce.services.bank import StatementReport, bank_statement_import
from licensing.commerce.services.cart import (
    buyer_check,
    cart_add,
    cart_for,
    cart_line_update_version,
    cart_remove,
)
from licensing.commerce.services.dataset_requests import (
    dataset_request_accept,
    dataset_request_decline,
    dataset_request_deliver,
    dataset_request_offer,
    dataset_request_submit,
    mission_photos_add,
)
from licensing.commerce.services.invoices import credit_note_issue, invoice_issue
from licensing.commerce.services.numbers import number_next
from licensing.commerce.services.orders import (
    PAYMENT_DAYS,
    order_approve,
    order_decline,
    order_line_refund,
    order_mark_paid,
    order_place,
)
from licensing.commerce.services.quotations import (
    QUOTATION_VALID_DAYS,
    quotation_check,
    quotation_issue,
    receipt_issue,
)

__all__ = [
    "PAYMENT_DAYS",
    "QUOTATION_VALID_DAYS",
    "StatementReport",
    "bank_statement_import",
    "buyer_check",
    "cart_add",
    "cart_for",
    "cart_line_update_version",
    "cart_remove",
    "credit_note_issue",
    "dataset_request_accept",
    "dataset_request_decline",
    "dataset_request_deliver",
    "dataset_request_offer",
    "dataset_request_submit",
    "invoice_issue",
    "mission_photos_add",
    "number_next",
    "order_approve",
    "order_decline",
    "order_line_refund",
    "order_mark_paid",
    "order_place",
    "quotation_check",
    "quotation_issue",
    "receipt_issue",
]
