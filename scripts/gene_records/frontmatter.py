"""YAML front matter (``---`` ... ``---``) read with a safe, bounded loader."""

from __future__ import annotations

import datetime
import re

import yaml

from .errors import RecordError

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_DELIM = re.compile(r"^---[ \t]*$", re.MULTILINE)


class _NoAliasLoader(_Base):
    """Safe loader that refuses YAML aliases.

    Real records never use anchors or aliases; refusing them makes a "billion
    laughs" alias bomb fail at its first alias instead of expanding.
    """

    def construct_object(self, node, deep=False):
        if node in self.constructed_objects or node in self.recursive_objects:
            raise yaml.constructor.ConstructorError(
                None, None, "YAML anchors and aliases (&name, *name) are not allowed in records", node.start_mark
            )
        return super().construct_object(node, deep)


def split_front_matter(path: str, text: str) -> tuple[str, str, int]:
    """Return ``(yaml_text, body, first_yaml_line)`` of a front-matter page."""
    first = _DELIM.match(text)
    if not first:
        raise RecordError(path, "line 1", "expected '---' to open the front matter")
    closing = _DELIM.search(text, first.end())
    if not closing:
        raise RecordError(
            path, "line 1", "front matter opened with '---' is never closed (truncated file?)"
        )
    yaml_text = text[first.end() + 1 : closing.start()]
    # the body with trailing white space removed from each line
    body = "\n".join(line.rstrip() for line in text[closing.end() + 1 :].strip().split("\n"))
    return yaml_text, body, 2


def load_front_matter(path: str, text: str) -> tuple[dict, str]:
    """Parse the front matter into a plain JSON-ready dict; return it and the body."""
    yaml_text, body, first_line = split_front_matter(path, text)
    try:
        data = yaml.load(yaml_text, Loader=_NoAliasLoader)  # noqa: S506 - safe loader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + first_line}" if mark is not None else "front matter"
        problem = exc.problem or exc.context or "invalid YAML"
        raise RecordError(path, where, f"invalid YAML in front matter: {problem}") from None
    except yaml.YAMLError as exc:
        raise RecordError(path, "front matter", f"invalid YAML: {exc}") from None
    except RecursionError:
        raise RecordError(path, "front matter", "YAML nested too deeply") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise RecordError(
            path, f"line {first_line}", f"front matter is a {type_name(data)}, expected key: value pairs"
        )
    return plain(path, data, "front matter"), body


def type_name(value) -> str:
    if isinstance(value, str):
        return "text"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "mapping"
    if value is None:
        return "null"
    return type(value).__name__


def plain(path: str, value, where: str):
    """Turn YAML values into JSON-ready ones (dates to ISO text, keys to text)."""
    if isinstance(value, dict):
        return {str(k): plain(path, v, f"field '{k}'") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(path, v, where) for v in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(str(v) for v in value)
    if isinstance(value, bytes):
        raise RecordError(path, where, "binary (!!binary) YAML values are not allowed")
    return value
