"""Fuzzing the whole API from its OpenAPI document: never a 5xx, never a traceback.

schemathesis generates requests for every operation (valid and invalid bodies,
parameters, FHIR and CDS Hooks bodies from their schemas) and runs them in-process
against the ASGI app; each response is checked against the document (status code,
content type, headers, body schema). The server's log is captured: an ERROR record
(every unexpected exception is one, with its request id) fails the test.

Bounded to fit the suite: ``SMANAV_FUZZ_EXAMPLES`` examples per operation (default 150,
about a minute on 2 cores); raise it for a longer run.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from smanav.web import create_app

EXAMPLES = int(os.environ.get("SMANAV_FUZZ_EXAMPLES", "150"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


class Errors(logging.Handler):
    """Every ERROR (or worse) record logged while the fuzzer runs."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def server_log() -> Iterator[Errors]:
    handler = Errors()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


@pytest.fixture(scope="module")
def fuzz_app(db_path: Path) -> Iterator[Any]:
    app = create_app(db_path)
    yield app
    app.state.pdf.shutdown()


@pytest.fixture(scope="module")
def api_schema(fuzz_app: Any) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)


def _labels() -> list[str]:
    """Every operation in the document (the app is not started: no knowledge base read)."""
    doc = create_app(None).openapi()
    methods = ("get", "post", "put", "patch", "delete")
    return [f"{m.upper()} {p}" for p, item in doc["paths"].items() for m in methods if m in item]


@pytest.mark.parametrize("label", _labels())
def test_every_operation_answers_as_documented_without_a_fault(
    label: str, api_schema: Any, server_log: Errors
) -> None:
    from hypothesis import given

    [operation] = [op.ok() for op in api_schema.get_all_operations() if op.ok().label == label]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case: Any) -> None:
        before = len(server_log.records)
        case.call_and_validate(checks=CHECKS)
        new = server_log.records[before:]
        assert not new, [r.getMessage() for r in new]

    fuzz()
