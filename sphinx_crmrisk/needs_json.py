"""Reading a ``needs.json`` file: found, parsed and checked at the edge.

Used by :mod:`.loading` (the ``crmrisk`` command and the notebooks); the build itself
reads the needs of the running Sphinx application instead. Anything unusable is a
:class:`LoadError` whose message says, in one line, what is wrong and where: the file,
the need ID and the field. Every key the model reads has a type (:data:`NEED_TYPES`):
text, text or null, a line number, a list of IDs; the model never sees another.

The fast path is msgspec decoding into typed dataclasses (whose ``__dict__`` are the
needs), which checks those types while parsing. When msgspec refuses the file, the plain path reads it with :mod:`json` and
:func:`needs_of` checks each value itself, to say which need and which field is wrong.

Both parsers keep the last of two members of the same name in an object: two needs
under one ID (a hand merge, a generator's bug) would leave one need silently out,
and its gap hidden. msgspec cannot report a repeated key (its issue 648), so the fast
path counts the needs it decodes, dropped ones included (:func:`_count_need`), against
the needs it keeps; when they differ, the plain path reads the file again, with a
hook that keeps every repeated member, and names the need (:func:`_lost_need`). What
is refused is a need lost that way: a key repeated in ``needs``, or a repeated
version, ``needs`` or ``versions`` that held needs. A key repeated inside one need is
not looked for (the fast path skips the keys the model does not read; sphinx-needs
writes each need from a Python dict, which cannot repeat one). A UTF-8 byte order mark
at the start of the file is skipped by both paths.
"""

from __future__ import annotations

import codecs
import contextlib
import dataclasses
import functools
import itertools
import json
import math
import mmap
import operator
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, TypedDict

import msgspec

from .file_names import NEEDS_JSON as NEEDS_JSON
from .gc_pause import gc_paused
from .input_paths import FILE as FILE
from .input_paths import FOLDER as FOLDER
from .input_paths import OTHER as OTHER
from .input_paths import LoadError as LoadError
from .input_paths import find_needs_json as find_needs_json
from .input_paths import what_is as what_is
from .kinds import DEFAULT_NAMES, Names
from .model import NEED_KEYS, NeedRecord


def read_needs(path: str | Path) -> dict[str, Mapping[str, Any]]:
    """The needs of the current version of a ``needs.json`` file, by ID, with every key."""
    return _read_needs(path, _EVERY_KEY, None)


def read_model_needs(
    path: str | Path, names: Names = DEFAULT_NAMES
) -> dict[str, Mapping[str, Any]]:
    """Like :func:`read_needs`, for the model: other keys than it reads may be left out.

    sphinx-needs writes about sixty keys a need, the model reads thirty-seven
    (:func:`~sphinx_crmrisk.model.need_keys` of the names the build recorded): the others
    are skipped while parsing, never made into Python objects. Each need is a
    :class:`~sphinx_crmrisk.model.NeedRecord` (a read-only mapping of the keys it has
    among those) when msgspec reads the file, a dict of all its keys on the rare file
    json reads instead.
    """
    types = need_types(names)
    ours = frozenset(names.kinds)
    canonical = {
        **{key: key for key in _CORE_TYPES},
        **dict(names.field_keys),
        **dict(names.link_keys),
    }
    layout = tuple((key, canonical[key], kind) for key, kind in types.items())
    return _read_needs(path, _model_decoder(layout), types, ours)


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
    # a tuple: the model's items keep it as it is (a list would be copied into one)
    IDS: tuple[str, ...] | None,
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
    with _contents(file) as raw, gc_paused():
        try:
            # msgspec: 3 to 4 times json's speed on a large needs.json, and the types
            # of NEED_TYPES checked on the way
            before = next(_DECODED)
            data = decoder.decode(raw)
            decoded = next(_DECODED) - before - 1
            if types is None:
                # the decoder of every key makes no record: a pass that skips every
                # value counts the needs
                before = next(_DECODED)
                _COUNT_NEEDS.decode(raw)
                decoded = next(_DECODED) - before - 1
            read = decoded == _needs_kept(data)  # else a repeated key lost a need
        except (msgspec.DecodeError, RecursionError):
            read = False
        checked = read and types is not None
        if not read:
            # what msgspec refuses (bad JSON, a value of the wrong type, but also NaN,
            # a lone surrogate, bytes that are not UTF-8), and a file where it lost a
            # need: json reads it, or reports in the words it always has, and needs_of
            # names what is wrong
            data = _read_json(file)
    return needs_of(data, str(file), checked=checked, types=types or NEED_TYPES, ours=ours)


#: From this size on, a needs.json is mapped into memory rather than read (1 MiB).
MAP_FROM = 1 << 20


@contextlib.contextmanager
def _contents(file: Path) -> Iterator[bytes | memoryview]:
    """The bytes of ``file``, without an editor's byte order mark (msgspec refuses it,
    json too, but it says nothing).

    A large file is mapped (:data:`MAP_FROM`): read, its 100 MB would be copied into
    as much new memory, each page of it faulted in (0.07 s of a 50,000-need file's
    ``crmrisk check``); mapped, msgspec parses the cached pages themselves. Nothing
    decoded refers to them (every text is a copy), and the map is closed on the way out.
    A mapped file cut short while it is parsed (a build rewriting that very needs.json
    at that moment) ends the process with SIGBUS, where a read one gives a LoadError.
    """
    try:
        with file.open("rb") as stream:
            size = os.fstat(stream.fileno()).st_size
            mapped = None
            if size >= MAP_FROM:
                try:
                    mapped = mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ)
                except (OSError, ValueError):  # a file system that cannot map it
                    mapped = None
            raw = stream.read() if mapped is None else None
    except OSError as err:
        raise LoadError(f"{file}: cannot read: {err.strerror or err}") from None
    if raw is not None:
        yield raw.removeprefix(codecs.BOM_UTF8)
        return
    assert mapped is not None
    with mapped:
        view = memoryview(mapped)
        bom = len(codecs.BOM_UTF8)
        body = view[bom:] if bytes(view[:bom]) == codecs.BOM_UTF8 else view[:]
        try:
            yield body
        finally:  # the map closes only once no view of it is left
            body.release()
            view.release()


#: Counts the needs decoded, one a need, dropped ones included: ``next()`` before and
#: after a decoding gives how many it made (a count shared by every decoder; a thread
#: decoding at the same time can only send a file to the plain path, which decides).
_DECODED = itertools.count()


def _count_need(_need: object) -> None:
    """``__post_init__`` of the need dataclasses: msgspec calls it for every need it
    decodes, the ones it then drops under a repeated key too."""
    next(_DECODED)


def _needs_kept(data: Any) -> int:
    """How many needs the decoded document holds, over all its versions."""
    if not isinstance(data, dict) or not isinstance(data.get("versions"), dict):
        return 0
    return sum(
        len(version["needs"])
        for version in data["versions"].values()
        if isinstance(version, dict) and isinstance(version.get("needs"), dict)
    )


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
#: A need read as nothing (every key skipped), counted: the needs of a document.
_COUNT_NEEDS = _decoder_of(
    dataclasses.dataclass(init=False, repr=False, eq=False)(
        type("counted_need", (), {"__post_init__": _count_need})
    )
)


@functools.lru_cache(maxsize=8)
def _model_decoder(layout: tuple[tuple[str, str, str], ...]) -> msgspec.json.Decoder[Any]:
    """A decoder whose needs are records of the model's keys (``layout``: each key, its
    canonical name, its type): msgspec skips every other key of a need and checks the
    type of each key it keeps.

    The record (:class:`~sphinx_crmrisk.model.NeedRecord`) is a msgspec struct whose
    attributes are the canonical names, each renamed to the project's key (which need
    not be a Python name: ``crm-risk``); a key the need lacks holds ``msgspec.UNSET``,
    which tells it from a null. No dict a need, no garbage-collector tracking (it holds
    only texts, lists of texts and numbers). It counts itself (:func:`_count_need`).
    One decoder per key set (the canonical names, and each project's renamed ones).
    """
    # in the order of the keys: sphinx-needs writes them sorted, and msgspec looks for
    # each key from the field after the last one found
    fields = [
        (name, _PYTHON_TYPES[kind] | msgspec.UnsetType, msgspec.UNSET)
        for _key, name, kind in sorted(layout)
    ]
    record: type = msgspec.defstruct(
        "model_need",
        fields,
        bases=(NeedRecord,),
        kw_only=True,
        gc=False,
        rename={name: key for key, name, _kind in layout},
        namespace={
            "__post_init__": _count_need,
            "keys_read": {key: name for key, name, _kind in layout},
            "absent": msgspec.UNSET,
        },
    )
    return _decoder_of(record)


class _Repeated(dict[str, Any]):
    """A JSON object with a repeated key: json keeps the last member, ``dropped`` the
    others, in order."""

    dropped: list[tuple[str, Any]]


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """json's ``object_pairs_hook``: a dict, which says what a repeated key dropped."""
    made = dict(pairs)
    if len(made) == len(pairs):
        return made
    repeated = _Repeated(made)
    last = {key: index for index, (key, _value) in enumerate(pairs)}
    repeated.dropped = [
        (key, value) for index, (key, value) in enumerate(pairs) if last[key] != index
    ]
    return repeated


def _read_json(file: Path) -> Any:
    """The plain path: :mod:`json`, whose line numbers and messages LoadError gives."""
    try:
        # utf-8-sig: a byte order mark is skipped, as on the fast path
        text = file.read_text(encoding="utf-8-sig")
        data = json.loads(text, object_pairs_hook=_object)
    except (OSError, UnicodeDecodeError) as err:
        raise LoadError(f"{file}: cannot read: {err}") from None
    except json.JSONDecodeError as err:
        raise LoadError(f"{file}: invalid JSON at line {err.lineno}: {err.msg}") from None
    except RecursionError:
        raise LoadError(f"{file}: {_deep_value(file)}values nested too deeply to read") from None
    lost = _lost_need(data, text)
    if lost is not None:
        raise LoadError(f"{file}: {lost}")
    return data


def _dropped(value: Any) -> list[tuple[str, Any]]:
    return value.dropped if isinstance(value, _Repeated) else []


def _holds_needs(value: Any, depth: int) -> bool:
    """Whether ``value`` holds a need: a needs object (``depth`` 0), a version (1), the
    versions object (2); what its own repeated keys dropped counts too."""
    if not isinstance(value, dict):
        return False
    if depth == 0:
        return bool(value) or bool(_dropped(value))
    if depth == 1:
        candidates = [value.get("needs")] + [v for k, v in _dropped(value) if k == "needs"]
    else:
        candidates = list(value.values()) + [v for _k, v in _dropped(value)]
    return any(_holds_needs(candidate, depth - 1) for candidate in candidates)


def _lost_need(data: Any, text: str) -> str | None:
    """What a repeated key made json drop that held a need, for a message (``text``:
    the file's, for line numbers); None when nothing was lost."""
    if not isinstance(data, dict):
        return None
    if any(key == "versions" and _holds_needs(v, 2) for key, v in _dropped(data)):
        return "'versions' is written twice; JSON keeps only the last"
    versions = data.get("versions")
    if not isinstance(versions, dict):
        return None
    for name, version in _dropped(versions):
        if _holds_needs(version, 1):
            return f"version {name!r} is written twice in 'versions'; JSON keeps only the last"
    for name, version in versions.items():
        if not isinstance(version, dict):
            continue
        if any(key == "needs" and _holds_needs(v, 0) for key, v in _dropped(version)):
            return f"version {name!r}: 'needs' is written twice; JSON keeps only the last"
        repeated = _dropped(version.get("needs"))
        if repeated:
            need_id = repeated[0][0]
            return (
                f"two needs under the key {need_id!r}{_lines_of(need_id, text)}: JSON keeps "
                "only the last; give each need an ID of its own"
            )
    return None


def _lines_of(key: str, text: str) -> str:
    """`` (lines 3 and 9)``: where the key is written as an object's key, when it is
    found twice as written (json may have read it from escapes); else nothing."""
    lines = []
    for written in dict.fromkeys((json.dumps(key), json.dumps(key, ensure_ascii=False))):
        for match in re.finditer(re.escape(written) + r"\s*:\s*\{", text):
            lines.append(text.count("\n", 0, match.start()) + 1)
    lines = sorted(set(lines))
    if len(lines) < 2:
        return ""
    return f" (lines {', '.join(map(str, lines[:-1]))} and {lines[-1]})"


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


_TYPE_OF, _ID_OF = operator.attrgetter("type"), operator.attrgetter("id")


def _check_records(needs: dict[str, Any], origin: str, keys_of: dict[str, str]) -> None:
    """:func:`needs_of`'s checks of the needs msgspec decoded as records (their values'
    types are checked already), in the same order, with the same messages.

    Needs whose IDs are their keys cannot share an ID (keys are unique): only when one
    is not, or lacks its type or id, does the loop of needs_of look at each need.
    """
    absent = msgspec.UNSET
    records = needs.values()
    # the common case, in C: every need has a type, and its ID is its key
    if absent not in map(_TYPE_OF, records) and list(map(_ID_OF, records)) == list(needs):
        return
    # else each need in turn (a need without its id takes its key)
    for need_id, need in needs.items():
        if need.type is absent:
            raise LoadError(f"{origin}: need {need_id!r} is not an object with a 'type'")
        item_id = need.id
        if item_id is absent:
            if need_id == "":
                raise LoadError(f"{origin}: need {need_id!r}: its id is empty")
            need.id = item_id = need_id
        other = keys_of.setdefault(item_id, need_id)
        if other != need_id:
            raise LoadError(
                f"{origin}: needs {other!r} and {need_id!r} have the same id {item_id!r}"
            )


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
    if checked and needs and isinstance(next(iter(needs.values())), NeedRecord):
        _check_records(needs, origin, keys_of)
        return needs
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
