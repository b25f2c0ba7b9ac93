"""Error codes are one enumeration: every code the product can answer with is an ``ErrorCode``."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from rest_framework import exceptions as drf_exceptions

from catalog import imaging
from stockdata.api import drf_error_code
from stockdata.errors import ApplicationError, Conflict, ErrorCode, NotFound

ROOT = Path(__file__).resolve().parents[2]
ERROR_BASES = {"ApplicationError", "Conflict", "NotFound"}


def product_sources():
    for folder in ("catalog", "licensing", "contributors", "stockdata"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if {"tests", "migrations"} & set(relative.parts):
                continue
            yield relative, path.read_text()


def error_classes(sources) -> set[str]:
    """Our error types: ApplicationError and every class that derives from one of them."""
    names, grew = set(ERROR_BASES), True
    trees = [ast.parse(source) for _path, source in sources]
    while grew:
        grew = False
        for tree in trees:
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.ClassDef)
                    and node.name not in names
                    and any(ast.unparse(base).rsplit(".", 1)[-1] in names for base in node.bases)
                ):
                    names.add(node.name)
                    grew = True
    return names


def free_string_codes(source: str, errors: set[str]) -> list[str]:
    """Codes in ``source`` written as strings (or naming no member) where an error is raised or answered."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = ast.unparse(node.func).rsplit(".", 1)[-1]
            values = [k.value for k in node.keywords if k.arg == "code"] if name in errors else []
            if name in ("_error", "refuse") and node.args:
                values.append(node.args[0 if name == "_error" else 2])
            found += [f"line {v.lineno}: {ast.unparse(v)}" for v in values if isinstance(v, ast.Constant)]
        elif isinstance(node, ast.Dict):  # {"error": {"code": ...}} built by hand
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "code" and isinstance(value, ast.Constant):
                    found.append(f"line {value.lineno}: {ast.unparse(value)}")
        if (
            isinstance(node, ast.Attribute)
            and ast.unparse(node.value) == "ErrorCode"
            and node.attr not in ErrorCode.__members__
        ):
            found.append(f"line {node.lineno}: ErrorCode.{node.attr} is no member")
    return found


def test_free_string_codes_finds_each_kind_of_free_code():
    errors = ERROR_BASES | {"DownloadRefused"}
    assert free_string_codes('raise Conflict("No.", code="not_paid")', errors) == ["line 1: 'not_paid'"]
    assert free_string_codes('raise DownloadRefused("No.", code="gone")', errors) == ["line 1: 'gone'"]
    assert free_string_codes('return _error("invalid", "m", 400)', errors) == ["line 1: 'invalid'"]
    assert free_string_codes('self.refuse(request, 400, "odd", "m")', errors) == ["line 1: 'odd'"]
    assert free_string_codes('body = {"error": {"code": "x", "message": "m"}}', errors) == ["line 1: 'x'"]
    assert free_string_codes("raise ApplicationError('m', code=ErrorCode.NO_SUCH)", errors) == [
        "line 1: ErrorCode.NO_SUCH is no member"
    ]
    assert free_string_codes("raise ApplicationError('m', code=ErrorCode.NOT_PAID)", errors) == []
    assert free_string_codes('forms.ValidationError("m", code="required")', errors) == []


def test_every_error_code_in_the_code_base_is_a_member():
    sources = list(product_sources())
    errors = error_classes(sources)
    assert {"DownloadRefused", "NothingToDeliver", "OrderTransitionRefused"} <= errors
    offenders = {str(path): found for path, source in sources if (found := free_string_codes(source, errors))}
    assert offenders == {}


def test_an_error_with_a_code_outside_the_enumeration_is_refused():
    with pytest.raises(ValueError, match="'made_up' is not a valid ErrorCode"):
        ApplicationError("Something.", code="made_up")
    assert ApplicationError("Something.", code="not_paid").code is ErrorCode.NOT_PAID
    assert NotFound().code is ErrorCode.NOT_FOUND
    assert Conflict("No.").code is ErrorCode.INVALID


def test_image_rejection_codes_are_members():
    assert set(imaging.REJECTION_CODES) <= {code.value for code in ErrorCode}


def all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from all_subclasses(sub)


def test_drf_refusals_answer_with_members():
    drf = [cls for cls in all_subclasses(drf_exceptions.APIException) if cls.__module__.startswith("rest_framework")]
    assert len(drf) >= 10
    for cls in drf:
        assert ErrorCode(cls.default_code), cls
    assert drf_error_code(drf_exceptions.Throttled()) is ErrorCode.THROTTLED
    unknown = drf_exceptions.APIException("odd", code="something_new")
    assert drf_error_code(unknown) is ErrorCode.ERROR


@pytest.mark.django_db
def test_the_openapi_schema_lists_every_error_code(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    code = schema["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]
    assert code["enum"] == [c.value for c in ErrorCode]


@pytest.mark.django_db
def test_the_api_answers_with_members_of_the_enumeration(client):
    anonymous = client.get("/api/v1/orders/")
    assert (anonymous.status_code, anonymous.json()["error"]["code"]) == (403, "not_authenticated")
    wrong_method = client.delete("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert wrong_method.status_code == 405
    assert json.loads(wrong_method.content)["error"]["code"] == "method_not_allowed"
    # YAML too (the schema's default renderer): the code is a plain string every renderer can write.
    assert b"code: method_not_allowed" in client.delete("/api/schema/").content
