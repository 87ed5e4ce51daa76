"""Errors a user can act on.

Every failure a person can cause (bad input, a bad data file) is one of these,
so the CLI can print it and exit 2, and the API can answer 422, never a traceback.
"""

from __future__ import annotations

__all__ = ["DataError", "InstallError", "InvalidInput", "NotFound", "SmanavError", "StoreError"]


class SmanavError(Exception):
    """Base class: carries a message meant for a person."""


class InvalidInput(SmanavError, ValueError):
    """Input that cannot be used, naming the field (or file) that is wrong."""

    #: Longest message kept whole: a message quoting what was typed never echoes a huge
    #: value back (its start and the message's advice at the end are kept).
    MAX_MESSAGE = 400

    def __init__(self, field: str, message: str, suggestions: list[str] | None = None) -> None:
        if len(message) > self.MAX_MESSAGE:
            half = self.MAX_MESSAGE // 2
            cut = len(message) - 2 * half
            message = f"{message[:half]}… ({cut} characters left out) …{message[-half:]}"
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


class StoreError(SmanavError):
    """The knowledge-base file cannot be used (a folder, not SQLite, damaged, another
    application's database, locked by a writer): a fault of the setup, not of a request.

    ``str()`` is one sentence for the person at the terminal (it names ``--db`` or
    ``SMANAV_DB`` and the path they gave); ``public`` is the same without any file path,
    safe to show an API user (the web layer answers 500 with it); ``detail`` is for logs.
    """

    def __init__(self, message: str, public: str | None = None, detail: str | None = None) -> None:
        self.message = message
        self.public = public or "The knowledge base cannot be opened; the server log says why."
        self.detail = detail or message
        super().__init__(message)


class InstallError(StoreError):
    """Data files the installed package must have are missing or unreadable: reinstall.

    Never treated as an empty knowledge base, and never a reason to rebuild the database.
    """
