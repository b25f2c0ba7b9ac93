"""Demo data for ``make run``: every feature visible, safe to run twice.

Each step creates what is missing and leaves what exists, always through the same services
the site uses. The synthetic photo generator (``synthetic``) draws the demo photos.
"""

from __future__ import annotations

from stockdata.demo.accounts import ACCOUNTS, DEMO_PASSWORD, seed_accounts
from stockdata.demo.orders import (
    seed_contact_message,
    seed_evaluation_pack,
    seed_orders,
    seed_quotation,
    seed_withdrawal,
)
from stockdata.demo.payouts import seed_payouts
from stockdata.demo.photos import seed_datasets, seed_photos, seed_reviews
from stockdata.demo.releases import seed_releases
from stockdata.demo.requests import seed_dataset_requests

__all__ = ["ACCOUNTS", "DEMO_PASSWORD", "print_logins", "seed"]


def _steps():
    return [
        ("accounts", seed_accounts),
        ("photos", seed_photos),
        ("model releases", seed_releases),
        ("review", seed_reviews),
        ("datasets", seed_datasets),
        ("orders", seed_orders),
        ("evaluation pack", seed_evaluation_pack),
        ("quotation", seed_quotation),
        ("contact message", seed_contact_message),
        ("consent withdrawal", seed_withdrawal),
        ("payouts", seed_payouts),
        ("dataset requests and a mission", seed_dataset_requests),
    ]


def seed(out=print) -> None:
    for name, step in _steps():
        out(f"[{name}]")
        step(out)
    out("")
    print_logins(out)


def print_logins(out=print) -> None:
    out(f"  Demo logins (password for all: {DEMO_PASSWORD}):")
    for spec in ACCOUNTS:
        role = f"{spec.role} ({spec.organisation_role})" if spec.role == "buyer" else spec.role
        out(f"    {role:<22} {spec.email}")
