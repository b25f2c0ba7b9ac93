"""Bank transfers matched from a statement CSV."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from licensing.commerce.models import Order
from licensing.commerce.services.orders import order_mark_paid
from licensing.commerce.states import transition_allowed


@dataclass
class StatementReport:
    matched: list[dict] = field(default_factory=list)
    unmatched: list[dict] = field(default_factory=list)
    mismatched: list[dict] = field(default_factory=list)
    already_paid: list[dict] = field(default_factory=list)


def bank_statement_import(*, data: bytes | str, by) -> StatementReport:
    """Match a bank statement CSV (columns date, amount, reference) on order number and amount.

    A line whose reference names an order awaiting payment with exactly that amount marks it
    paid (through ``order_mark_paid``); the others are reported, never guessed at.
    """
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    reader = csv.DictReader(io.StringIO(text))
    report = StatementReport()
    for number, row in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        entry = {
            "row": number,
            "date": row.get("date", ""),
            "amount": row.get("amount", ""),
            "reference": row.get("reference", ""),
        }
        match = re.search(r"SD-[0-9]{4}-[0-9]{6}", entry["reference"].upper())
        try:
            amount = int(entry["amount"].replace(",", "").replace("¥", ""))
        except ValueError:
            amount = None
        order = Order.objects.filter(number=match.group(0)).first() if match else None
        if order is None or amount is None:
            report.unmatched.append(entry)
            continue
        entry["order"] = order.number
        if order.status == Order.Status.PAID:
            report.already_paid.append(entry)
            continue
        if amount != order.total or not transition_allowed(order.status, Order.Status.PAID):
            entry["expected"] = order.total
            report.mismatched.append(entry)
            continue
        reference = f"statement:{entry['date']}:{order.number}:{amount}"
        order_mark_paid(
            order=order, provider=Order.PaymentMethod.BANK_TRANSFER, amount=amount, reference=reference, by=by
        )
        report.matched.append(entry)
    return report
