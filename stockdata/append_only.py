"""Append-only models: rows that are written once, complete, and never changed or removed.

Records that prove something to someone outside (the royalty ledger, frozen dataset
versions, invoices, review decisions, provision records) are corrected by writing a new
row -- a reversing entry, a new version, a credit note, a new decision -- never by
editing an old one. :class:`AppendOnlyModel` makes that a property of the code: its
manager's queryset refuses ``update()``, ``delete()``, ``bulk_update()`` and upserts
(``bulk_create(update_conflicts=True)``); an instance refuses a second ``save()`` and
``delete()``; a first ``save()`` always INSERTs, so an instance built with an existing
primary key cannot overwrite that row. Each refusal is an :class:`AppendOnlyError` whose
message names the model and what to do instead (``append_only_instead``).

A model may allow deleting some rows (provision records, once their retention ends) by
overriding :meth:`AppendOnlyModel.append_only_check_delete`.

Left alone on purpose: Django's own ``on_delete=SET_NULL`` (it goes through the plain base
manager, so a review decision outlives the photo it was about), raw SQL, and migrations.
"""

from __future__ import annotations

from django.db import models

__all__ = ["AppendOnlyError", "AppendOnlyModel", "AppendOnlyQuerySet"]


class AppendOnlyError(Exception):
    """Raised when code tries to change or remove a row of an append-only model."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError(self.model.append_only_refusal())

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError(self.model.append_only_refusal())

    def bulk_create(self, objs, *args, **kwargs):
        if kwargs.get("update_conflicts"):
            raise AppendOnlyError(self.model.append_only_refusal())
        return super().bulk_create(objs, *args, **kwargs)

    def delete(self):
        self.model.append_only_check_delete(self)
        return super().delete()

    delete.alters_data = True
    delete.queryset_only = True


class AppendOnlyModel(models.Model):
    """Base of every append-only model (abstract); see the module's docstring."""

    #: How to correct a row instead of changing it; ends every refusal's message.
    append_only_instead = "write a new row instead"

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    @classmethod
    def append_only_refusal(cls) -> str:
        return f"{cls.__name__} rows are append-only; {cls.append_only_instead}."

    @classmethod
    def append_only_check_delete(cls, queryset: models.QuerySet) -> None:
        """Raise unless every row of *queryset* may be deleted; by default none may."""
        raise AppendOnlyError(cls.append_only_refusal())

    def save(self, *args, **kwargs):
        if not self._state.adding or kwargs.get("update_fields") is not None or kwargs.get("force_update"):
            raise AppendOnlyError(self.append_only_refusal())
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        type(self).append_only_check_delete(type(self)._default_manager.filter(pk=self.pk))
        return super().delete(*args, **kwargs)
