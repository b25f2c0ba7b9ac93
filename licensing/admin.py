"""The admin of licensing's three parts; Django's autodiscovery imports this module."""

from licensing.commerce import admin as commerce_admin  # noqa: F401
from licensing.consent import admin as consent_admin  # noqa: F401
from licensing.delivery import admin as delivery_admin  # noqa: F401
