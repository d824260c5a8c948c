"""Reading JSON that came from outside with a bound on nesting: no Django.

Python's parser recurses once per level of nesting, so a file or request body of a few thousand ``[``
ends in a RecursionError (or, for the code that walks the result, a crash much later). Every JSON
reader of Corridor (the API's request bodies, ``corridor load-scenario``, the planning and intake
readers) goes through :func:`loads`, which refuses such input first with a clear message. The
standalone verifier repeats the same check in its own file.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 64  # far deeper than any document Corridor reads


class TooDeep(ValueError):
    """The JSON nests arrays and objects deeper than :data:`MAX_DEPTH`."""


def depth_exceeds(text: str, limit: int = MAX_DEPTH) -> bool:
    """Whether arrays and objects in ``text`` nest deeper than ``limit``, found without parsing it."""
    if text.count("[") + text.count("{") <= limit:  # the common case, at C speed
        return False
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def loads(data: str | bytes, limit: int = MAX_DEPTH) -> Any:
    """``json.loads``, refusing input nested deeper than ``limit`` (TooDeep) and undecodable bytes (ValueError)."""
    text = data.decode("utf-8") if isinstance(data, bytes) else data  # UnicodeDecodeError is a ValueError
    if depth_exceeds(text, limit):
        raise TooDeep(f"the JSON nests arrays and objects more than {limit} levels deep")
    try:
        return json.loads(text)
    except RecursionError:  # pragma: no cover - the depth check comes first
        raise TooDeep(f"the JSON nests arrays and objects more than {limit} levels deep") from None
