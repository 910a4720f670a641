"""The audit pack's PDF in the site (``crmrisk_pack_pdf``): made as ``crmrisk pack``
makes it, rendered only when what it is made from changed, and rendered while the pages
are written.

The PDF a page links to is the pack's, byte for byte: it is made from the files the
build writes beside its needs.json (read back, not from this build's memory). Rendering
it costs seconds (4 s for the handbook's 18 pages), so:

- a build whose files, tools and code are those the PDF in the output was made from
  (:func:`.pack.pdf_inputs_digest`, recorded under the doctrees with the PDF's own
  SHA-256) leaves it as it is: a no-change build, or an edit that changed no need;
- otherwise the PDF is drafted in a second process while this one goes on: the
  needs.json sphinx-needs will write at the end, the record of the settings and the lock
  are written into a folder under the doctrees, and ``crmrisk pack`` of that folder runs
  on another core. As soon as the pages are read (:func:`draft_pdf_ahead`, at
  ``env-updated``, before the audit notebooks run): sphinx-needs resolves its needs only
  when the writing starts, so they are resolved then on a copy, the environment's own
  left as read (it is pickled for the next build); where that cannot be done alike
  (``needextend``, dynamic functions, needs in an audit page, another extension's
  handler of the resolution's events), when the writing starts (:func:`start_pdf`),
  once sphinx-needs has resolved them. At ``build-finished`` :func:`write_build_pdf`
  takes the draft's PDF only if the files then beside needs.json are the very files the
  draft was made from (the exports compared with the draft pack's own); else it renders
  the PDF itself, as it would have without a draft. So the draft changes when the PDF is
  ready, never what it holds.

A failure (WeasyPrint or Pango missing) is a warning.
"""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..file_names import BUILD_FILES, NEEDS_JSON, pdf_name
from ..input_paths import LoadError
from ..pack import (
    BUILD_RECORDS,
    PackError,
    pack_date,
    pack_files,
    pdf_inputs_digest,
    read_build,
)
from ..settings import CONFIG_JSON, REVIEW_LOCK
from .audit_reading import needs_as_read
from .audits import audit_pages
from .build_warnings import log_warning
from .kernel_fork import KERNEL_FORK
from .outputs import recorded_settings_text
from .state import build_lock, build_state, build_traceability, pdf_on
from .warm import kept_server, warm_mode

if TYPE_CHECKING:
    from sphinx.application import Sphinx

#: What a kept server imports before it forks a draft: 0.6 s of its CPU.
PACK_MODULES = ["sphinx_crmrisk.cli", "sphinx_crmrisk.cli.pack", "weasyprint", "xlsxwriter"]
#: How much lower the draft's priority is than the build's (``nice``).
DRAFT_NICE = 10
#: Under the doctrees: the digest of what the PDF in the output was made from, and its own.
PDF_RECORD = "crmrisk-pdf.json"
#: Under the doctrees: the files a draft of the PDF is made from, and its pack (``pack/``).
PDF_DRAFT = "crmrisk-pdf-draft"


def _writes_pdf(app: Sphinx) -> bool:
    return pdf_on(app) and build_traceability(app).model.has_items


def _may_draft(app: Sphinx) -> bool:
    """Whether a draft can be of use: not decided yet in this build, which read pages
    (else its needs are the last build's: Sphinx 8 and 9 start writing all the same) and
    whose needs.json does not hold the time of its build (``needs_reproducible_json``
    off: the file written at the end would be another, and the draft of no use)."""
    state = build_state(app)
    if state.pdf_draft is not None or state.pdf_drafted or not state.docs_read:
        return False
    return pdf_on(app) and bool(getattr(app.config, "needs_reproducible_json", False))


def draft_pdf_ahead(app: Sphinx, env: Any) -> None:
    """``env-updated``, once the pages are read and before the audit pages are (their
    notebooks executed): the PDF drafted from the needs resolved on a copy (see the
    module's text). Nothing when that cannot be done alike: :func:`start_pdf` drafts it
    when the writing starts."""
    state = build_state(app)
    if not _may_draft(app):
        return
    try:
        needs_json = _resolved_ahead(app)
        if needs_json is not None:
            state.pdf_draft = _draft(app, needs_json)
            state.pdf_drafted = True  # or found already made from these files
    except Exception:
        # whatever stops it, the draft is left to the writing's start
        shutil.rmtree(Path(app.doctreedir) / PDF_DRAFT, ignore_errors=True)


def _resolved_ahead(app: Sphinx) -> bytes | None:
    """The needs.json sphinx-needs will write, made from a copy of the needs as read,
    resolved as sphinx-needs resolves them and with the fields the build computes; the
    environment, its needs and this build's state as they were. None when the needs
    can change after now (audit pages with needs of their own, read later) or when
    another extension handles the resolution's events (it would see them twice)."""
    from sphinx.util.logging import suppress_logging
    from sphinx_needs.data import SphinxNeedsData

    env = app.env
    needs = needs_as_read(env)
    if not needs or "_needs_all_needs" not in env.__dict__:
        return None  # none, or sphinx-needs keeps them elsewhere than it did
    if env.__dict__["_needs_all_needs"] is not needs:
        return None
    audits = set(audit_pages(app, env))
    if any(need.get("docname") in audits for need in needs.values()):
        return None
    for event in ("needs-before-post-processing", "needs-before-sealing"):
        for listener in app.events.listeners.get(event, []):
            if not getattr(listener.handler, "__module__", "").startswith("sphinx_crmrisk."):
                return None
    state = build_state(app)
    saved = state.traceability, state.computed
    env._needs_all_needs = copy.deepcopy(needs)  # type: ignore[attr-defined]
    try:
        # its warnings are those the resolution of the needs themselves gives again
        with suppress_logging():
            needs_json = _needs_json_bytes(app)
        made = state.traceability  # by the fields the build computes, on the copy
        return needs_json if made is None or made.model.has_items else None
    finally:
        env._needs_all_needs = needs  # type: ignore[attr-defined]
        SphinxNeedsData(env).needs_is_post_processed = False
        env.__dict__.pop("_needs_view", None)
        state.traceability, state.computed = saved


def start_pdf(app: Sphinx, _builder: Any) -> None:
    """``write-started``, after sphinx-needs has resolved its needs: the PDF drafted in a
    second process while the pages are written, unless it was drafted ahead (see the
    module's text). No draft when the PDF in the output is already that of these files;
    without one, :func:`write_build_pdf` decides at the end as ever."""
    state = build_state(app)
    if not _may_draft(app) or not _writes_pdf(app):
        return
    try:
        state.pdf_draft = _draft(app, _needs_json_bytes(app))
    except Exception:
        # a draft only saves time: whatever stops it (another sphinx-needs' classes, a
        # full disk), the PDF is made at the end as without one, and says what failed
        shutil.rmtree(Path(app.doctreedir) / PDF_DRAFT, ignore_errors=True)


def _draft(app: Sphinx, needs_json: bytes) -> subprocess.Popen[bytes] | None:
    state = build_state(app)
    outdir = Path(app.outdir)
    files = {NEEDS_JSON: needs_json}
    files[CONFIG_JSON] = recorded_settings_text(app).encode("utf-8")
    lock = build_lock(app)
    if lock.present:
        files[REVIEW_LOCK] = lock.dumps().encode("utf-8")
    exports = {n: (outdir / n).read_bytes() for n in BUILD_FILES.values() if (outdir / n).is_file()}
    record = Path(app.doctreedir) / PDF_RECORD
    if _pdf_recorded(record, outdir / pdf_name(state.settings.language), {**files, **exports}):
        return None  # the exports may be out of date, then this is another digest
    folder = Path(app.doctreedir) / PDF_DRAFT
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    arguments = ["pack", str(folder), "--output", str(folder / "pack")]
    command = [sys.executable, "-m", "sphinx_crmrisk.cli", *arguments]
    kept = kept_server(PACK_MODULES, "jobs") if warm_mode() == "keep" else None
    if kept is not None:
        # forked by a kept server that imported WeasyPrint and the pack (:mod:`.warm`), at
        # a lower priority: the audit notebooks and the pages come first, the PDF is
        # taken at the end
        command = [sys.executable, str(KERNEL_FORK), "run", kept, "--nice", str(DRAFT_NICE)]
        command += ["sphinx_crmrisk.cli:main", *arguments]
    return subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _needs_json_bytes(app: Sphinx) -> bytes:
    """The needs.json sphinx-needs writes at ``build-finished`` (its ``NeedsBuilder.
    finish``, with its own classes), made now."""
    from sphinx_needs.config import NeedsSphinxConfig
    from sphinx_needs.data import SphinxNeedsData
    from sphinx_needs.filter_common import filter_needs_view
    from sphinx_needs.needsfile import NeedsList

    env = app.env
    config = NeedsSphinxConfig(env.config)
    version = getattr(env.config, "version", "unset")
    needs_list = NeedsList(env, app.outdir, app.srcdir)
    if config.file:
        needs_list.load_json(config.file)
    needs_list.wipe_version(version)
    needs = SphinxNeedsData(env).get_needs_view()
    for need in filter_needs_view(needs, config, config.builder_filter):
        needs_list.add_need(version, need)
    # json.dump of sphinx-needs: ASCII only, so its text is its bytes
    return needs_list.dump_json().encode("ascii")


def write_build_pdf(app: Sphinx, exception: Exception | None) -> None:
    """``build-finished``: the audit pack's PDF in the HTML output (see the module's
    text): left as it is, taken from the draft, or rendered here."""
    state = build_state(app)
    draft, state.pdf_draft = state.pdf_draft, None
    try:
        if exception is None and _writes_pdf(app):
            _write_pdf(app, draft)
    finally:
        _discard(app, draft)


def _write_pdf(app: Sphinx, draft: subprocess.Popen[bytes] | None) -> None:
    state = build_state(app)
    outdir = Path(app.outdir)
    name = pdf_name(state.settings.language)
    record = Path(app.doctreedir) / PDF_RECORD
    try:
        files = {n: (outdir / n).read_bytes() for n in BUILD_RECORDS if (outdir / n).is_file()}
        if _pdf_recorded(record, outdir / name, files):
            return
        pdf = _drafted(app, draft, files, name)
        if pdf is None:
            build = read_build(outdir / NEEDS_JSON)
            data = build.traceability
            made = pack_files(data, build.provenance, build.files, date=pack_date(data))
            pdf = next(f for f in made if f.name == name).data
        (outdir / name).write_bytes(pdf)
        record.parent.mkdir(parents=True, exist_ok=True)
        digest = {"inputs": pdf_inputs_digest(files), "pdf": hashlib.sha256(pdf).hexdigest()}
        record.write_text(json.dumps(digest), encoding="utf-8")
    except (PackError, LoadError) as err:
        record.unlink(missing_ok=True)
        log_warning(app, "export", f"{name}: {err}")
    except OSError as err:
        record.unlink(missing_ok=True)
        log_warning(app, "export", f"cannot write {outdir / name}: {err.strerror or err}")


def _drafted(
    app: Sphinx, draft: subprocess.Popen[bytes] | None, files: dict[str, bytes], name: str
) -> bytes | None:
    """The draft's PDF when the draft was made from ``files`` (the build's, as they are
    now), else None."""
    if draft is None or draft.wait() != 0:
        return None
    folder = Path(app.doctreedir) / PDF_DRAFT
    pack = folder / "pack"
    if any((folder / n).is_file() != (n in files) for n in (NEEDS_JSON, CONFIG_JSON, REVIEW_LOCK)):
        return None  # a lock drafted and none written now, or the reverse
    drafted = {}
    for file in files:
        # the draft wrote the needs.json, the record and the lock; its pack, the exports
        where = pack if file in BUILD_FILES.values() else folder
        if not (where / file).is_file():
            return None
        drafted[file] = (where / file).read_bytes()
    if drafted != files or not (pack / name).is_file():
        return None
    return (pack / name).read_bytes()


def _discard(app: Sphinx, draft: subprocess.Popen[bytes] | None) -> None:
    """The draft's process ended (stopped if it still runs: a build that failed), its
    folder removed."""
    if draft is not None:
        if draft.poll() is None:
            draft.kill()
        draft.wait()
    shutil.rmtree(Path(app.doctreedir) / PDF_DRAFT, ignore_errors=True)


def _pdf_recorded(record: Path, pdf: Path, files: dict[str, bytes]) -> bool:
    """Whether ``pdf`` is the PDF the record says was made from ``files`` in this
    environment: the same inputs, and the file still holds the bytes made then (not
    deleted, not edited)."""
    try:
        recorded = json.loads(record.read_text(encoding="utf-8"))
        if not isinstance(recorded, dict) or recorded.get("inputs") != pdf_inputs_digest(files):
            return False
        return bool(hashlib.sha256(pdf.read_bytes()).hexdigest() == recorded.get("pdf"))
    except (OSError, ValueError):
        return False
