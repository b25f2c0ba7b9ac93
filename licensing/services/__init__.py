"""Every write in the licensing app, one module per subject.

``releases`` holds consent (releases, review, withdrawal, notifications); ``orders``
holds the cart, checkout, payments, invoices and provision records. Both are
re-exported here so ``from licensing import services; services.release_create(...)``
works wherever it is used.
"""

import sys
import types

from licensing.services import releases as _releases
from licensing.services.releases import *
from licensing.services.releases import (  # noqa: F401  (re-exported)
    DEFAULT_CONSENT_SCOPES,
    RELEASE_DOCUMENT_MAX_BYTES,
    RELEASE_REJECTION_REASONS,
    RELEASE_SCAN_MIN_LONG_SIDE,
)

# Private helpers and constants of the former single module, still reachable here.
for _name in dir(_releases):
    if not _name.startswith("__") and _name not in globals():
        globals()[_name] = getattr(_releases, _name)

from licensing.services import orders as _orders
from licensing.services.orders import *


class _ServicesModule(types.ModuleType):
    """Setting a constant on the package (tests do ``monkeypatch.setattr(services, ...)``)
    also sets it on the submodule that reads it."""

    def __setattr__(self, name, value):
        for sub in (_releases, _orders):
            if hasattr(sub, name) and not isinstance(getattr(sub, name), types.ModuleType):
                setattr(sub, name, value)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _ServicesModule
