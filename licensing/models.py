"""The licensing app's tables, defined in its three parts; Django discovers them here.

Code imports a model from the part that owns it (``licensing.consent.models`` and so on);
this module only makes them one app for Django and its migrations.
"""

from licensing.commerce.models import *
from licensing.consent.models import *

# Migrations name these by their path in this module.
from licensing.consent.models import _document_key, _signature_key, new_subject_id  # noqa: F401
from licensing.delivery.models import *
