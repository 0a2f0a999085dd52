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
            raise _alias_error(node)
        return super().construct_object(node, deep)

    # PyYAML's generic constructor costs ~2 us per node (GEISHA pages have
    # ~400 nodes): most of the parse time of a GEISHA record. Plain text,
    # lists and mappings with text keys (nearly every node of a record) are
    # built directly here, exactly as SafeConstructor would build them; any
    # other node (numbers, dates, null, explicit tags, merge keys, complex
    # keys) goes to the generic constructor with everything below it.
    def construct_document(self, node):
        try:
            return self._build(node, set())
        finally:
            self.constructed_objects = {}
            self.recursive_objects = {}
            self.state_generators = []
            self.deep_construct = False

    def _build(self, node, seen: set):
        if id(node) in seen:
            raise _alias_error(node)
        seen.add(id(node))
        tag = node.tag
        kind = type(node)
        if kind is yaml.ScalarNode and tag == _STR:
            return node.value
        if kind is yaml.SequenceNode and tag == _SEQ:
            return [self._build(item, seen) for item in node.value]
        if kind is yaml.MappingNode and tag == _MAP and all(
            type(k) is yaml.ScalarNode and k.tag not in _SPECIAL_KEYS for k, _ in node.value
        ):
            out = {}
            for key_node, value_node in node.value:
                key = self._build(key_node, seen)
                out[key] = self._build(value_node, seen)
            return out
        seen.discard(id(node))
        self._claim(node, seen)
        return super().construct_object(node, deep=True)

    def _claim(self, node, seen: set) -> None:
        """Mark every node of a subtree left to the generic constructor as
        seen, so that an alias between it and the rest is still refused."""
        stack = [node]
        while stack:
            n = stack.pop()
            if id(n) in seen:
                raise _alias_error(n)
            seen.add(id(n))
            if isinstance(n, yaml.MappingNode):
                for k, v in reversed(n.value):
                    stack.extend((v, k))
            elif isinstance(n, yaml.SequenceNode):
                stack.extend(reversed(n.value))


_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
# keys that SafeConstructor.flatten_mapping rewrites ('<<' merges, '=' values)
_SPECIAL_KEYS = ("tag:yaml.org,2002:merge", "tag:yaml.org,2002:value")


def _alias_error(node) -> yaml.constructor.ConstructorError:
    return yaml.constructor.ConstructorError(
        None, None, "YAML anchors and aliases (&name, *name) are not allowed in records", node.start_mark
    )


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
    if type(value) is str:
        return value
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
