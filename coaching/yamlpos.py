"""Where in a YAML file something is, so a bad config or content file is reported with its
line and column: for syntax errors, and for the key path a validation error points at."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import yaml


def syntax_where(exc: yaml.YAMLError) -> str | None:
    """'line L, column C' of a YAML syntax error, when the parser knows it."""
    mark = getattr(exc, "problem_mark", None)
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark else None


def node_at(root: yaml.Node | None, loc: Iterable[Any], *, key: bool = False) -> yaml.Node | None:
    """The deepest node along the key path `loc` (as pydantic reports it). With `key=True` a
    mapping entry is located by its key rather than its value."""
    node = found = root
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if str(k.value) == str(part)), None)
            if match is None:
                break
            found = match[0] if key else match[1]
            node = match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = found = node.value[part]
        else:
            break
    return found


def position(text: str, loc: Iterable[Any], *, key: bool = True) -> str:
    """'line L, column C' of the key path `loc` in YAML `text`, or '' when not found."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return ""
    node = node_at(root, loc, key=key)
    if node is None:
        return ""
    return f"line {node.start_mark.line + 1}, column {node.start_mark.column + 1}"
