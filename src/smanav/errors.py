"""Errors a user can act on.

Every failure a person can cause (bad input, a bad data file) is one of these,
so the CLI can print it and exit 2, and the API can answer 422, never a traceback.
"""

from __future__ import annotations

__all__ = ["DataError", "InvalidInput", "NotFound", "SmanavError"]


class SmanavError(Exception):
    """Base class: carries a message meant for a person."""


class InvalidInput(SmanavError, ValueError):
    """Input that cannot be used, naming the field (or file) that is wrong."""

    def __init__(self, field: str, message: str, suggestions: list[str] | None = None) -> None:
        self.field = field
        self.message = message
        self.suggestions = list(suggestions or [])
        super().__init__(f"{field}: {message}")

    def to_dict(self) -> dict[str, object]:
        return {"field": self.field, "message": self.message, "suggestions": self.suggestions}


class NotFound(InvalidInput):
    """A name the knowledge base cannot resolve; carries 'did you mean' suggestions."""


class DataError(SmanavError):
    """A curated data file that does not validate: names file, record id and field."""

    def __init__(self, file: str, record: str | None, field: str | None, message: str) -> None:
        self.file = file
        self.record = record
        self.field = field
        self.message = message
        where = file
        if record:
            where += f", record {record!r}"
        if field:
            where += f", field {field!r}"
        super().__init__(f"{where}: {message}")
