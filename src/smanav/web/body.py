"""Request bodies: a JSON body checked before and while it is decoded.

No FastAPI here: ``BodyGuard`` (middleware) checks every JSON body with
``check_json`` and ``json_object`` (deps) reuses the decoded value.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

__all__ = [
    "DECODED",
    "MAX_INT_DIGITS",
    "MAX_JSON_DEPTH",
    "NOT_JSON",
    "BadJson",
    "check_json",
    "is_json_type",
    "json_depth",
]

#: Deepest nesting of a JSON body (a FHIR Bundle is about 8 levels deep).
MAX_JSON_DEPTH = 64

#: Longest integer in a JSON body, in digits (any 64-bit integer fits).
MAX_INT_DIGITS = 18


#: Scope key: the JSON body decoded by BodyGuard.
DECODED = "smanav.json"


class _Refused:
    """A JSON number smanav does not take (too long, not finite): kept to name its path."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _parse_int(text: str) -> Any:
    # Decided on the digits, before int(): a 5,000-digit number is never converted.
    return _Refused(text) if len(text.lstrip("-")) > MAX_INT_DIGITS else int(text)


def _parse_float(text: str) -> Any:
    value = float(text)
    return value if math.isfinite(value) else _Refused(text)


def _parse_constant(text: str) -> Any:
    return _Refused(text)  # NaN, Infinity, -Infinity: not JSON


#: A JSON string, or the rest of the body after an unterminated one (never backtracks,
#: so the scan is linear in the body on any input).
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*+(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_OPENERS = frozenset(b"[{")


def json_depth(raw: bytes, limit: int = MAX_JSON_DEPTH) -> int:
    """How deeply the body's arrays and objects nest, counted without decoding it.

    Strings are skipped (a bracket inside a string is text). Exact above ``limit`` (it
    stops counting there); at or under it, an upper bound (the number of openers).
    """
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    openers = brackets.count(b"[") + brackets.count(b"{")
    if openers <= limit:  # cannot nest deeper than it opens: no need to count
        return openers
    depth = deepest = 0
    for b in brackets:
        if b in _OPENERS:
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        else:
            depth -= 1
    return deepest


class BadJson(Exception):
    """A body that is JSON but not one smanav reads: too deep, a lone surrogate, a huge number."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


#: What ``check_json`` answers for a body that is not JSON at all (the route says why).
NOT_JSON = object()


def _path(parent: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]" if parent else f"body[{key}]"
    return f"{parent}.{key}" if parent else key


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def check_json(raw: bytes) -> Any:
    """The decoded body, checked before and while decoding; ``NOT_JSON`` if it is not JSON.

    Raises ``BadJson`` naming the field (``symptoms[0]``, ``entry[3].resource.id``) or
    ``body``: nesting deeper than ``MAX_JSON_DEPTH`` (counted before decoding, so a
    70,000-deep body never reaches the recursive decoder), a lone UTF-16 surrogate
    (``"\\ud800"``, which is not text), an integer longer than ``MAX_INT_DIGITS``
    digits, a number too large for a float, NaN or Infinity.
    """
    depth = json_depth(raw)
    if depth > MAX_JSON_DEPTH:
        raise BadJson("body", f"nests deeper than {MAX_JSON_DEPTH} levels of arrays and objects")
    try:
        value = json.loads(
            raw,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_parse_constant,
        )
    except RecursionError:  # pragma: no cover - the depth is counted first
        raise BadJson("body", f"nests deeper than {MAX_JSON_DEPTH} levels") from None
    except ValueError:  # not JSON, or not UTF-8: the route answers as it always has
        return NOT_JSON
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        item, where = stack.pop()
        if isinstance(item, dict):
            for key, sub in item.items():
                if _has_surrogate(key):
                    raise BadJson(
                        where or "body", "has a key with a lone UTF-16 surrogate, which is not text"
                    )
                stack.append((sub, _path(where, key)))
        elif isinstance(item, list):
            stack.extend((sub, _path(where, i)) for i, sub in enumerate(item))
        elif isinstance(item, str):
            if _has_surrogate(item):
                raise BadJson(
                    where or "body",
                    "holds a lone UTF-16 surrogate (such as \\ud800), which is not text",
                )
        elif isinstance(item, _Refused):
            shown = item.text if len(item.text) <= 24 else item.text[:20] + "…"
            raise BadJson(
                where or "body",
                f"{shown} is not a number smanav takes: at most {MAX_INT_DIGITS} digits, "
                "finite, not NaN",
            )
    return value


def is_json_type(content_type: str) -> bool:
    main, _, sub = content_type.partition(";")[0].strip().lower().partition("/")
    return main == "application" and (sub == "json" or sub.endswith("+json"))
