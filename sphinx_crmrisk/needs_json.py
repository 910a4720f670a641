"""Reading a ``needs.json`` file: found, parsed and checked at the edge.

Used by :mod:`.loading` (the ``crmrisk`` command and the notebooks); the build itself
reads the needs of the running Sphinx application instead. Anything unusable is a
:class:`LoadError` whose message says, in one line, what is wrong and where: the file,
the need ID and the field. Every key the model reads has a type (:data:`NEED_TYPES`):
text, text or null, a line number, a list of IDs; the model never sees another.

The fast path is msgspec decoding into typed dicts, which checks those types while
parsing. When msgspec refuses the file, the plain path reads it with :mod:`json` and
:func:`needs_of` checks each value itself, to say which need and which field is wrong.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, TypedDict

import msgspec

from .gc_pause import gc_paused
from .kinds import DEFAULT_NAMES, Names
from .model import NEED_KEYS

NEEDS_JSON = "needs.json"


class LoadError(Exception):
    """Unusable input: the message says what is wrong, in one line."""


def find_needs_json(path: str | Path) -> Path:
    """``path`` itself when it is a file, else ``path/needs.json``."""
    path = Path(path)
    if path.is_dir():
        path = path / NEEDS_JSON
    if not path.is_file():
        raise LoadError(f"{path}: no such file (expected a needs.json or a folder holding one)")
    return path


def read_needs(path: str | Path) -> dict[str, Mapping[str, Any]]:
    """The needs of the current version of a ``needs.json`` file, by ID, with every key."""
    return _read_needs(path, _EVERY_KEY, None)


def read_model_needs(
    path: str | Path, names: Names = DEFAULT_NAMES
) -> dict[str, Mapping[str, Any]]:
    """Like :func:`read_needs`, for the model: other keys than it reads may be left out.

    sphinx-needs writes about sixty keys a need, the model reads twenty
    (:func:`~sphinx_crmrisk.model.need_keys` of the names the build recorded): the others
    are skipped while parsing, never made into Python objects (all are kept on the rare
    file json reads instead).
    """
    types = need_types(names)
    ours = frozenset(names.kinds)
    return _read_needs(path, _model_decoder(tuple(types.items())), types, ours)


#: What each key the model reads must hold; a need may lack any but ``type``.
TEXT, OPTIONAL_TEXT, IDS = "text", "text or null", "a list of IDs"
ID, LINE = "a non-empty text", "a line number (1 or more) or null"
_MAX_LINE = 2**31 - 1
_CORE_TYPES: dict[str, str] = {
    "id": ID,
    "type": TEXT,
    "title": TEXT,
    "status": OPTIONAL_TEXT,
    "docname": OPTIONAL_TEXT,
    "doctype": OPTIONAL_TEXT,
    "lineno": LINE,
    "content": OPTIONAL_TEXT,
}


def need_types(names: Names = DEFAULT_NAMES) -> dict[str, str]:
    """Each key the model reads, under the project's names, with what it must hold."""
    return {
        **_CORE_TYPES,
        **{key: OPTIONAL_TEXT for key, _name in names.field_keys},
        **{key: IDS for key, _name in names.link_keys},
    }


#: :func:`need_types` under the canonical names.
NEED_TYPES = need_types()
assert set(NEED_TYPES) == set(NEED_KEYS)
_PYTHON_TYPES: dict[str, Any] = {
    TEXT: str,
    ID: Annotated[str, msgspec.Meta(min_length=1)],
    OPTIONAL_TEXT: str | None,
    LINE: Annotated[int, msgspec.Meta(ge=1, le=_MAX_LINE)] | None,
    IDS: list[str] | None,
}


def _read_needs(
    path: str | Path,
    decoder: msgspec.json.Decoder[Any],
    types: Mapping[str, str] | None,
    ours: frozenset[str] | None = None,
) -> dict[str, Mapping[str, Any]]:
    """``types``: the key types the decoder checks itself (None: it checks none);
    ``ours``: the need types whose every key is checked (see :func:`needs_of`)."""
    file = find_needs_json(path)
    try:
        raw = file.read_bytes()
    except OSError as err:
        raise LoadError(f"{file}: cannot read: {err.strerror or err}") from None
    with gc_paused():
        try:
            # msgspec: 3 to 4 times json's speed on a large needs.json, and the types
            # of NEED_TYPES checked on the way
            data = decoder.decode(raw)
            checked = types is not None
        except (msgspec.DecodeError, RecursionError):
            # what msgspec refuses (bad JSON, a value of the wrong type, but also NaN,
            # a lone surrogate, a BOM, bytes that are not UTF-8), json reads, or
            # reports in the words it always has, and needs_of names what is wrong
            data = _read_json(file)
            checked = False
    return needs_of(data, str(file), checked=checked, types=types or NEED_TYPES, ours=ours)


def _decoder_of(need_type: Any) -> msgspec.json.Decoder[Any]:
    """A decoder of needs.json files whose needs are ``need_type``."""
    # the functional form (not a class: noqa UP013): the need type is made at run
    # time, and this module's annotations are strings, which msgspec cannot resolve
    # inside a function
    fields = {"needs": dict[str, need_type]}
    version = TypedDict("version", fields, total=False)  # type: ignore[misc]
    top = {"current_version": str, "versions": dict[str, version]}
    needs_file = TypedDict("needs_file", top, total=False)  # type: ignore[misc]
    return msgspec.json.Decoder(needs_file)


# every key: msgspec cannot type some keys of a dict and keep the others as they are,
# so this one checks nothing itself and needs_of checks the model's keys
_EVERY_KEY = _decoder_of(dict[str, Any])


@functools.lru_cache(maxsize=8)
def _model_decoder(types: tuple[tuple[str, str], ...]) -> msgspec.json.Decoder[Any]:
    """A TypedDict of the model's keys, each with its type: msgspec skips every other key
    of a need and checks the type of each key it keeps. One decoder per key set (the
    canonical names, and each project's renamed ones)."""
    need = TypedDict(  # type: ignore[misc]
        "model_need", {key: _PYTHON_TYPES[kind] for key, kind in types}, total=False
    )
    return _decoder_of(need)


def _read_json(file: Path) -> Any:
    """The plain path: :mod:`json`, whose line numbers and messages LoadError gives."""
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise LoadError(f"{file}: cannot read: {err}") from None
    except json.JSONDecodeError as err:
        raise LoadError(f"{file}: invalid JSON at line {err.lineno}: {err.msg}") from None
    except RecursionError:
        raise LoadError(f"{file}: {_deep_value(file)}values nested too deeply to read") from None


_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|[{}\[\]:]')
_DEEP = 500


def _deep_value(file: Path) -> str:
    """``need 'X': field 'y': `` where a value is nested too deeply, when it can be found.

    Both parsers recurse into nested values, so a plain scan of the text follows the
    keys down to the first value nested :data:`_DEEP` levels deep.
    """
    try:
        text = file.read_bytes()
    except OSError:
        return ""
    keys: list[bytes | None] = []  # per open container: its current key (None: a list)
    last_string = b""
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token[:1] == b'"':
            last_string = token
        elif token == b":":
            if keys:
                keys[-1] = last_string
        elif token in (b"{", b"["):
            keys.append(b"" if token == b"{" else None)
            if len(keys) > _DEEP:
                path = [k for k in keys if k is not None]
                try:
                    names = [json.loads(k) for k in path[:5]]
                except ValueError:
                    return ""
                if len(names) == 5 and names[0] == "versions" and names[2] == "needs":
                    return f"need {names[3]!r}: field {names[4]!r}: "
                return ""
        elif keys:
            keys.pop()
    return ""


_SURROGATE = re.compile("[\ud800-\udfff]")


def _describe(value: Any) -> str:
    """What a wrong value is, in a few words, for a message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)  # nan, inf
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text with a lone surrogate" if _SURROGATE.search(value) else "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and not _SURROGATE.search(value)


def _wrong_value(expected: str, value: Any) -> str | None:
    """Why ``value`` cannot hold what a key of type ``expected`` holds, or None."""
    if value is None and expected not in (TEXT, ID):
        return None
    if expected in (TEXT, OPTIONAL_TEXT):
        ok = _is_text(value)
    elif expected == ID:
        ok = _is_text(value) and value != ""
        if value == "":
            return f"must be {expected}, not an empty one"
    elif expected == LINE:
        ok = isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= _MAX_LINE
        if isinstance(value, int) and not isinstance(value, bool) and not ok:
            return f"must be {expected}, not {value}"
    else:
        if isinstance(value, list):
            for entry in value:
                if not _is_text(entry):
                    return f"must be {expected}, not a list holding {_describe(entry)}"
            return None
        ok = False
    return None if ok else f"must be {expected}, not {_describe(value)}"


def _check_need(
    origin: str, need_id: str, need: Mapping[str, Any], types: Mapping[str, str]
) -> None:
    """The plain path's check of one need: the types msgspec checks on the fast path."""
    if not _is_text(need_id):
        raise LoadError(
            f"{origin}: need {need_id!r}: its key must be text, not {_describe(need_id)}"
        )
    for key, expected in types.items():
        if key in need:
            why = _wrong_value(expected, need[key])
            if why is not None:
                raise LoadError(f"{origin}: need {need_id!r}: field {key!r} {why}")


def needs_of(
    data: Any,
    origin: str,
    *,
    checked: bool = False,
    types: Mapping[str, str] = NEED_TYPES,
    ours: frozenset[str] | None = None,
) -> dict[str, Mapping[str, Any]]:
    """Validates a needs.json document and returns its needs.

    ``types``: the model's keys and what each must hold; ``checked``: msgspec has
    checked them already. ``ours``: the need types of the extension's kinds; a need of
    another type (a host project's) has only sphinx-needs' own keys checked, since a
    field of its own may share a name with one of ours (the model reads no field of it,
    and only its well-formed links: :func:`~sphinx_crmrisk.model.item_from_need`).
    """
    if not isinstance(data, dict) or not isinstance(data.get("versions"), dict):
        raise LoadError(f"{origin}: not a needs.json file (no 'versions' object)")
    version = data.get("current_version", "")
    if not _is_text(version):
        raise LoadError(f"{origin}: current_version must be text, not {_describe(version)}")
    versions = data["versions"]
    if version not in versions:
        if len(versions) != 1:
            raise LoadError(f"{origin}: current_version {version!r} is not in 'versions'")
        version = next(iter(versions))
    needs = versions[version].get("needs") if isinstance(versions[version], dict) else None
    if not isinstance(needs, dict):
        raise LoadError(f"{origin}: version {version!r} has no 'needs' object")
    keys_of: dict[str, str] = {}
    for need_id, need in needs.items():
        if not isinstance(need, dict) or "type" not in need:
            raise LoadError(f"{origin}: need {need_id!r} is not an object with a 'type'")
        if not checked:
            # sphinx-needs' own keys first: the type is text before it is looked up
            _check_need(origin, need_id, need, _CORE_TYPES)
            if ours is None or need["type"] in ours:
                _check_need(origin, need_id, need, types)
        item_id = str(need.setdefault("id", need_id))  # checked: a non-empty text
        if item_id == "":
            raise LoadError(f"{origin}: need {need_id!r}: its id is empty")
        other = keys_of.setdefault(item_id, need_id)
        if other != need_id:
            raise LoadError(
                f"{origin}: needs {other!r} and {need_id!r} have the same id {item_id!r}"
            )
    return needs
