"""The API docs: every operation says what it does."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.mark.django_db
def test_api_docs_every_operation_has_a_summary_and_a_description():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = [
        (path, method, op) for path, ops in schema["paths"].items() for method, op in ops.items() if method in METHODS
    ]
    assert len(operations) >= 42  # every operation of the API, not a subset
    lacking = [
        f"{method.upper()} {path}: "
        + ", ".join(name for name in ("summary", "description") if not (op.get(name) or "").strip())
        for path, method, op in operations
        if not (op.get("summary") or "").strip() or not (op.get("description") or "").strip()
    ]
    assert lacking == []
    summaries = [op["summary"] for _path, _method, op in operations]
    # A summary is a short phrase in sentence case, not a copy of the description.
    assert all(len(s) <= 80 and s[0].isupper() and not s.endswith(".") for s in summaries), summaries
