"""Read-only dicts and lists: the parts of a plan every plan made from one knowledge
base shares (see ``compiled``). Reads are as usual; a write raises ``TypeError``
instead of silently changing every later plan; ``copy.deepcopy`` gives plain ones."""

from __future__ import annotations

import copy
from typing import Any, NoReturn

__all__ = ["ReadOnlyDict", "ReadOnlyList"]

_READ_ONLY = (
    "this part of a plan is shared by every plan made from the same knowledge base and "
    "is read-only: copy it first (dict(x), list(x) or copy.deepcopy(plan))"
)


class ReadOnlyDict(dict[str, Any]):
    """A dict shared between plans: reads as usual, writes raise TypeError."""

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError(_READ_ONLY)

    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __copy__(self) -> dict[str, Any]:
        return dict(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, Any]:
        return {k: copy.deepcopy(v, memo) for k, v in self.items()}

    def __reduce__(self) -> tuple[Any, ...]:
        return (dict, (dict(self),))


class ReadOnlyList(list[Any]):
    """A list shared between plans: reads as usual, writes raise TypeError."""

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError(_READ_ONLY)

    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse
    append = extend = insert = pop = remove = clear = sort = reverse = _refuse

    def __copy__(self) -> list[Any]:
        return list(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> list[Any]:
        return [copy.deepcopy(v, memo) for v in self]

    def __reduce__(self) -> tuple[Any, ...]:
        return (list, (list(self),))
