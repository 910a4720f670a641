"""Adding pages to a project: names of their own, the table of contents, all or nothing.

``crmrisk import`` writes new MyST pages into a source folder and lists them where the
project lists its pages: the first ``toctree`` of the root document of a ``conf.py``
project (MyST or reST; a new one at its end when it has none), or ``_toc.yml`` for a
Jupyter Book. A page never replaces a file: a name already taken (by a page of any
suffix) gets ``-2``, ``-3``... Everything is written at once or not at all
(:func:`write_all`). No Sphinx import.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .input_paths import CONF_PY, JUPYTER_BOOK_FILES

TOC_YML = JUPYTER_BOOK_FILES[1]
#: What a page name may be: a file name, no folder.
PAGE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
#: The suffixes a root document may have, in the order they are looked for.
ROOT_SUFFIXES = (".md", ".rst", ".txt")


class ProjectError(Exception):
    """A project whose pages cannot be listed: one line, nothing written."""


def slug(text: str, default: str = "registre") -> str:
    """``"Registre conformité 2026"`` -> ``"registre-conformite-2026"``."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:60].strip("-")
    return text or default


def taken(project: Path, name: str) -> bool:
    """Whether a file of that name, whatever its suffix, is in the project's folder."""
    return any(project.glob(f"{glob_escape(name)}.*")) or (project / name).exists()


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def free_names(project: Path, base: str, suffixes: Sequence[str]) -> list[str]:
    """``base-<suffix>`` for each suffix, with the first of ``base``, ``base-2``, ``base-3``...
    under which none of them is taken."""
    n = 1
    while True:
        stem = base if n == 1 else f"{base}-{n}"
        names = [f"{stem}-{suffix}" for suffix in suffixes]
        if not any(taken(project, name) for name in names):
            return names
        n += 1


@dataclass(frozen=True)
class TocEdit:
    """A file of the project to change so that it lists the new pages."""

    path: Path
    old: str
    new: str


def _root_doc(project: Path) -> str:
    """The root document named in ``conf.py`` (``root_doc`` or ``master_doc``), else index."""
    try:
        conf = (project / CONF_PY).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ProjectError(f"{project / CONF_PY}: cannot read it: {err}") from None
    for key in ("root_doc", "master_doc"):
        match = re.search(rf"^{key}\s*=\s*['\"]([^'\"]+)['\"]", conf, re.MULTILINE)
        if match:
            return match.group(1)
    return "index"


def _fence_toctree(lines: list[str], pages: Sequence[str]) -> list[str] | None:
    """The lines of a MyST root document with ``pages`` added to its first toctree."""
    for start, line in enumerate(lines):
        match = re.match(r"^(\s*)(`{3,}|~{3,}|:{3,})\{toctree\}", line)
        if not match:
            continue
        indent, fence = match.groups()
        end = next(
            (
                i
                for i in range(start + 1, len(lines))
                if lines[i].strip().startswith(fence[0] * len(fence))
                and set(lines[i].strip()) == {fence[0]}
            ),
            None,
        )
        if end is None:
            return None
        body = lines[start + 1 : end]
        # options: ":key: value" lines, or a "---" YAML block, before the entries
        first_entry = 0
        if body and body[0].strip() == "---":
            closing = next((i for i in range(1, len(body)) if body[i].strip() == "---"), None)
            first_entry = len(body) if closing is None else closing + 1
        else:
            while first_entry < len(body) and body[first_entry].strip().startswith(":"):
                first_entry += 1
        entries = [line.strip() for line in body[first_entry:] if line.strip()]
        if _globbed(body[:first_entry], entries, pages):
            return lines
        new = [p for p in pages if p not in entries]
        added = [f"{indent}{page}" for page in new]
        insert = end
        while insert > start + 1 and not lines[insert - 1].strip():
            insert -= 1
        if not entries and first_entry:
            added.insert(0, "")  # a blank line between the options and the entries
        return lines[:insert] + added + lines[insert:]
    return None


def _globbed(options: Iterable[str], entries: Sequence[str], pages: Sequence[str]) -> bool:
    """A ``:glob:`` toctree whose patterns already take every page."""
    if not any(option.strip().startswith(":glob:") for option in options):
        return False
    return all(any(fnmatch.fnmatch(page, entry) for entry in entries) for page in pages)


def _rest_toctree(lines: list[str], pages: Sequence[str]) -> list[str] | None:
    """The lines of a reST root document with ``pages`` added to its first toctree."""
    for start, line in enumerate(lines):
        match = re.match(r"^(\s*)\.\.\s+toctree::", line)
        if not match:
            continue
        own = len(match.group(1))
        end = start + 1
        while end < len(lines) and (
            not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > own
        ):
            end += 1
        while end > start + 1 and not lines[end - 1].strip():
            end -= 1
        body = lines[start + 1 : end]
        indent = next((b[: len(b) - len(b.lstrip())] for b in body if b.strip()), " " * (own + 3))
        options = [b for b in body if b.strip().startswith(":")]
        entries = [b.strip() for b in body if b.strip() and not b.strip().startswith(":")]
        if _globbed(options, entries, pages):
            return lines
        added = [f"{indent}{page}" for page in pages if page not in entries]
        if not entries:
            added.insert(0, "")
        return lines[:end] + added + lines[end:]
    return None


def _new_toctree(suffix: str, pages: Sequence[str]) -> list[str]:
    if suffix == ".md":
        return ["", "```{toctree}", ":maxdepth: 1", "", *pages, "```"]
    return ["", ".. toctree::", "   :maxdepth: 1", "", *(f"   {page}" for page in pages)]


def _root_toc_edit(project: Path, pages: Sequence[str]) -> TocEdit:
    root = _root_doc(project)
    path = next(
        (project / f"{root}{s}" for s in ROOT_SUFFIXES if (project / f"{root}{s}").is_file()),
        None,
    )
    if path is None:
        raise ProjectError(
            f"{project}: no root document {root}.md or {root}.rst to list the pages in"
        )
    try:
        old = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ProjectError(f"{path}: cannot read it: {err}") from None
    lines = old.splitlines()
    myst = path.suffix == ".md"
    new_lines = (_fence_toctree if myst else _rest_toctree)(lines, pages)
    if new_lines is None:
        new_lines = [*lines, *_new_toctree(path.suffix, pages)]
    return TocEdit(path, old, "\n".join(new_lines) + "\n")


def _yaml_indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _list_end(lines: list[str], key: int) -> tuple[int, str]:
    """Where the list under the key on line ``key`` ends, and its items' indentation."""
    own = _yaml_indent(lines[key])
    indent = " " * (own + 2)
    end = key + 1
    for i in range(key + 1, len(lines)):
        line = lines[i]
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        depth = _yaml_indent(line)
        if depth < own or (depth == own and not line.lstrip().startswith("- ")):
            break
        if line.lstrip().startswith("- ") and end == key + 1:
            indent = " " * depth
        end = i + 1
    return end, indent


def _toc_yml_edit(project: Path, pages: Sequence[str], caption: str) -> TocEdit:
    path = project / TOC_YML
    try:
        old = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ProjectError(f"{path}: cannot read it: {err}") from None
    lines = old.splitlines()
    keys = {
        match.group(1): i
        for i, line in enumerate(lines)
        if (match := re.match(r"^(chapters|parts|sections):\s*$", line))
    }
    listed = {m.group(1) for line in lines if (m := re.match(r"^[\s-]*file:\s*(\S+)", line))}
    new = [page for page in pages if page not in listed]
    if "parts" in keys:
        # a part of its own, captioned after the register
        end, indent = _list_end(lines, keys["parts"])
        added = [
            f"{indent}- caption: {json.dumps(caption, ensure_ascii=False)}",
            f"{indent}  chapters:",
            *(f"{indent}    - file: {page}" for page in new),
        ]
    elif "chapters" in keys or "sections" in keys:
        end, indent = _list_end(lines, keys.get("chapters", keys.get("sections", 0)))
        added = [f"{indent}- file: {page}" for page in new]
    else:
        raise ProjectError(
            f"{path}: no top-level chapters, parts or sections to add the pages to; add "
            f"them yourself ({', '.join(pages)})"
        )
    if not new:
        added = []
    return TocEdit(path, old, "\n".join([*lines[:end], *added, *lines[end:]]) + "\n")


def toc_edit(project: Path, pages: Sequence[str], caption: str) -> TocEdit:
    """The change that lists ``pages`` (names without suffix) in the project."""
    if (project / CONF_PY).is_file():
        return _root_toc_edit(project, pages)
    if all((project / name).is_file() for name in JUPYTER_BOOK_FILES):
        return _toc_yml_edit(project, pages, caption)
    raise ProjectError(f"{project}: not a source folder (no {CONF_PY}, nor {TOC_YML})")


def write_all(project: Path, pages: dict[str, str], edit: TocEdit) -> None:
    """Writes the new pages (never over a file) and the changed table of contents, all or
    nothing: each goes to a temporary file first, then takes its name; on any error the
    files already put in place are removed and the table of contents is left as it was."""
    temporary: list[Path] = []
    placed: list[Path] = []
    try:
        staged: list[tuple[Path, Path]] = []
        for name, text in [*pages.items(), (str(edit.path.relative_to(project)), edit.new)]:
            target = project / name
            handle, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
            temporary.append(Path(tmp_name))
            with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
                stream.write(text)
            staged.append((Path(tmp_name), target))
        mask = os.umask(0o022)
        os.umask(mask)
        for tmp, target in staged[:-1]:
            os.chmod(tmp, 0o666 & ~mask)  # a temporary file is private: a page is not
            # a link fails when the name exists: a page never replaces a file
            os.link(tmp, target)
            placed.append(target)
        tmp, target = staged[-1]
        if target.read_text(encoding="utf-8") != edit.old:
            raise ProjectError(f"{target} changed while the import ran: nothing written")
        shutil.copymode(target, tmp)
        os.replace(tmp, target)
    except (OSError, ProjectError) as err:
        for path in placed:
            path.unlink(missing_ok=True)
        if isinstance(err, ProjectError):
            raise
        raise ProjectError(
            f"cannot write into {project}: {err.strerror or err}"
            + (f" ({err.filename})" if err.filename else "")
            + "; nothing written"
        ) from None
    finally:
        for path in temporary:
            path.unlink(missing_ok=True)
