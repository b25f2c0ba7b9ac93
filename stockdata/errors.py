"""One application error type, mapped once for the API and once for forms."""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    """A refusal a person can act on: ``message`` says what was wrong and what to do.

    ``code`` is stable and machine-readable; ``status`` is the HTTP status the API uses;
    ``field`` names the form field at fault, when there is one.
    """

    status = 400

    def __init__(
        self,
        message: str,
        *,
        code: str = "invalid",
        field: str | None = None,
        status: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field
        self.extra = extra or {}
        if status is not None:
            self.status = status

    def add_to_form(self, form) -> None:
        """Show this error on a Django form, on its field when it names one."""
        form.add_error(self.field if self.field in form.fields else None, self.message)


class NotFound(ApplicationError):
    status = 404

    def __init__(self, message: str = "Not found.", **kwargs: Any) -> None:
        super().__init__(message, code=kwargs.pop("code", "not_found"), **kwargs)


class Conflict(ApplicationError):
    status = 409
