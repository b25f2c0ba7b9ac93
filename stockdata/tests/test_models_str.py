"""Every model of ours says what a row is (admin lists, logs, the shell), not "Photo object (12)"."""

from __future__ import annotations

from django.apps import apps
from django.db import models

OUR_APPS = {"catalog", "licensing", "contributors", "accounts", "notifications", "mail", "core"}


def models_without_str(candidates) -> list[str]:
    return sorted(m.__name__ for m in candidates if m.__str__ is models.Model.__str__)


def test_models_without_str_finds_a_model_that_keeps_djangos():
    plain = type("Plain", (), {"__str__": models.Model.__str__})
    told = type("Told", (), {"__str__": lambda self: "told"})
    assert models_without_str([plain, told]) == ["Plain"]


def test_every_model_of_ours_has_its_own_str():
    ours = [m for m in apps.get_models() if m._meta.app_label in OUR_APPS]
    assert {m._meta.app_label for m in ours} == OUR_APPS
    assert len(ours) > 40
    assert models_without_str(ours) == []
