"""The layers of the package hold: the library never loads Sphinx, the command neither.

``sphinx_crmrisk`` is three layers (docs/explanation/layers.md): the pure library at its
top level, ``sphinx_ext`` (everything that imports Sphinx, docutils or sphinx-needs) and
``cli`` (the command). Imports go one way: ``sphinx_ext`` and ``cli`` use the library;
the library uses neither; ``cli`` never uses ``sphinx_ext``. Two checks hold it:

- statically, every import statement of every module, at its top or inside a function,
  is read with :mod:`ast` and checked against the rule, and the graph of imports between
  the package's modules has no cycle;
- at run time, a fresh interpreter imports each library module, or runs ``crmrisk check``,
  ``matrix`` (every format), ``diff`` on a built needs.json and ``import --dry-run``, and must end without
  ``sphinx``, ``docutils``, ``sphinx_needs`` or ``myst_parser`` in ``sys.modules``.
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sphinx_builds import build_once

import sphinx_crmrisk

PACKAGE = Path(sphinx_crmrisk.__file__).parent
#: What the library and the command must never load.
SPHINX_SIDE = ("sphinx", "docutils", "sphinx_needs", "myst_parser")
#: The one import of the Sphinx side the library makes: the package's ``setup()``, the
#: extension's entry point (``extensions = ["sphinx_crmrisk"]``), hands over to it.
ENTRY_POINT = ("sphinx_crmrisk", "setup", "sphinx_crmrisk.sphinx_ext")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> str:
    """``library``, ``sphinx_ext`` or ``cli``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ("sphinx_ext", "cli") else "library"


def imports_of(path: Path) -> list[tuple[str, str]]:
    """Each module that ``path`` imports when it runs, absolute, with the function it is
    imported in ("" at module level); imports under ``if TYPE_CHECKING:`` never run."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[str, str]] = []

    def absolute(node: ast.ImportFrom) -> str:
        if not node.level:
            return node.module or ""
        parts = package.split(".")
        base = parts[: len(parts) - node.level + 1]
        return ".".join(base + ([node.module] if node.module else []))

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and ast.unparse(child.test) == "TYPE_CHECKING":
                for other in child.orelse:
                    visit(other, function)
                continue
            if isinstance(child, ast.Import):
                found.extend((alias.name, function) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                target = absolute(child)
                if child.module is None:  # ``from . import a, b``: modules of the package
                    found.extend((f"{target}.{alias.name}", function) for alias in child.names)
                else:
                    found.append((target, function))
            inner = function
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                inner = child.name
            visit(child, inner)

    visit(ast.parse(path.read_text(encoding="utf-8")), "")
    return found


def package_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def test_the_layers_are_the_ones_the_rule_names():
    layers = {layer_of(name) for name in package_modules()}
    assert layers == {"library", "sphinx_ext", "cli"}
    # the library is the top level: every module there that is not a subpackage
    assert "sphinx_crmrisk.model" in package_modules()
    assert layer_of("sphinx_crmrisk.model") == "library"


def test_no_library_module_imports_sphinx_or_the_other_layers_even_inside_a_function():
    wrong = []
    for name, path in package_modules().items():
        layer = layer_of(name)
        if layer == "sphinx_ext":
            continue
        for target, function in imports_of(path):
            top = target.split(".")[0]
            if (name, function, target) == ENTRY_POINT:
                continue
            if (
                top in SPHINX_SIDE
                or target.startswith("sphinx_crmrisk.sphinx_ext")
                or (layer == "library" and target.startswith("sphinx_crmrisk.cli"))
            ):
                wrong.append(f"{name} ({function or 'module level'}) imports {target}")
    assert wrong == []


def test_the_modules_of_the_package_import_each_other_in_no_cycle():
    modules = package_modules()
    graph = {
        name: sorted({t for t, _ in imports_of(path) if t in modules and t != name})
        for name, path in modules.items()
    }
    cycles = []
    state: dict[str, int] = {}  # 1 on the path, 2 done

    def walk(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in graph[node]:
            # a package's __init__ importing its own submodules is how a package is made
            if target.startswith(node + "."):
                continue
            if state.get(target) == 1:
                cycles.append(" -> ".join([*path[path.index(target) :], target]))
            elif state.get(target) is None:
                walk(target, [*path, target])
        state[node] = 2

    for name in graph:
        if name not in state:
            walk(name, [name])
    assert cycles == []


LOADED = (
    "import sys\n"
    "print(__import__('json').dumps(sorted({m.split('.')[0] for m in sys.modules} & "
    f"set({SPHINX_SIDE!r}))))\n"
)


def loaded_after(code: str) -> list[str]:
    """The Sphinx-side packages a fresh interpreter has loaded after running ``code``."""
    result = subprocess.run(
        [sys.executable, "-c", code + "\n" + LOADED],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def library_modules() -> list[str]:
    return [name for name in package_modules() if layer_of(name) == "library"]


@pytest.mark.parametrize("module", library_modules())
def test_a_library_module_imported_alone_loads_no_sphinx(module):
    assert loaded_after(f"import {module}") == []


def test_the_command_loads_no_sphinx_to_check_export_or_compare_a_build(copy_root, tmp_path):
    source = copy_root("matrix")
    build = build_once(source).outdir
    assert (Path(build) / "needs.json").is_file()
    register = tmp_path / "registre.csv"
    register.write_text("Identifiant;Intitulé;Type\nPROC-NOUVELLE-01;Nouvelle;procédure\n")
    commands = [
        ["check", str(build)],
        ["check", str(build), "--format", "junit"],
        *(
            ["matrix", str(build), "--format", fmt, "--output", str(tmp_path / f"m.{fmt}")]
            for fmt in ("md", "csv", "json", "xlsx", "items-csv", "oscal-catalog", "oscal-profile")
        ),
        ["diff", str(build), str(build)],
        # the project's needs build runs in a subprocess: the command itself loads no Sphinx
        ["import", str(register), "--to", str(source), "--dry-run"],
    ]
    for argv in commands:
        code = (
            "import io, sys\n"
            "from sphinx_crmrisk.cli import main\n"
            "sys.stdout = io.TextIOWrapper(io.BytesIO())\n"
            f"status = main({argv!r})\n"
            "sys.stdout = sys.__stdout__\n"
            "assert status in (0, 1), status\n"
        )
        assert loaded_after(code) == [], argv
    # and what it wrote is the matrix
    assert (tmp_path / "m.csv").read_text(encoding="utf-8-sig").startswith("ID,Title,State,")


def test_the_extension_does_load_sphinx_so_the_check_can_fail():
    """The run-time check sees an import of Sphinx when there is one."""
    assert "sphinx" in loaded_after("import sphinx_crmrisk.sphinx_ext")


#: What a build loads only when it uses it: to read audit pages (the notebooks' kernels,
#: msgspec for the needs it hands them), to write the audit pack's PDF (the pack), to
#: import the shipped statement of the law (``crmrisk-catalogue``) or to talk to a warm
#: server (its code).
ON_DEMAND = (
    "msgspec",
    "sphinx_crmrisk.exports",
    "sphinx_crmrisk.law_catalogue",
    "sphinx_crmrisk.needs_cache",
    "sphinx_crmrisk.needs_json",
    "sphinx_crmrisk.pack",
    "sphinx_crmrisk.sphinx_ext.audit_reading",
    "sphinx_crmrisk.sphinx_ext.kernel_fork",
    "sphinx_crmrisk.sphinx_ext.notebooks",
    "sphinx_crmrisk.sphinx_ext.site_pdf",
)


def on_demand_loaded_by_a_build(
    source: Path, *config: str, fork: bool = True
) -> tuple[list[str], list[str]]:
    """Which of :data:`ON_DEMAND` a build of ``source`` (in a fresh interpreter) had
    loaded when it finished writing its pages (before any ``build-finished`` handler),
    and at its end. ``fork=False``: with no second process (sphinx_crmrisk.forked)."""
    code = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from sphinx.application import Sphinx\n"
        "import sphinx_crmrisk.forked\n"
        f"sphinx_crmrisk.forked.may_fork = lambda: {fork!r}\n"
        f"on_demand = set({ON_DEMAND!r})\n"
        f"source = Path({str(source)!r})\n"
        "out = source / '_build' / 'html'\n"
        f"overrides = dict(item.split('=', 1) for item in {list(config)!r})\n"
        "app = Sphinx(source, source, out, out / '.doctrees', 'html', status=None,\n"
        "             confoverrides=overrides, freshenv=True)\n"
        "seen = []\n"
        "app.connect('build-finished',\n"
        "            lambda *_: seen.append(sorted(on_demand & set(sys.modules))), priority=1)\n"
        "app.build()\n"
        "assert app.statuscode == 0, app.statuscode\n"
        "print(json.dumps([seen[0], sorted(on_demand & set(sys.modules))]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    before_the_end, after = json.loads(result.stdout.splitlines()[-1])
    return before_the_end, after


def test_a_build_loads_the_pack_the_audits_and_the_law_only_when_it_uses_them(copy_root):
    # most projects have no audit notebooks and no PDF: 1.4 MiB of every build of theirs
    # (benchmarks/README.md); the handlers that would use them are there all the same.
    # (That a build with audit pages loads their reading, tests/test_audits.py shows: it
    # reads them, with the needs handed over.)
    source = copy_root("pack")
    # the exports: made in a forked child while the pages are written, which imports
    # them; the build itself never does
    before_the_end, after = on_demand_loaded_by_a_build(source)
    assert (before_the_end, after) == ([], [])
    assert (source / "_build" / "html" / "traceability.xlsx").is_file()
    # where no fork is safe, imported at the end of the build (build-finished), past the
    # peak of memory that the writing of the pages is
    shutil.rmtree(source / "_build")
    before_the_end, after = on_demand_loaded_by_a_build(source, fork=False)
    assert before_the_end == []
    assert after == ["sphinx_crmrisk.exports"]
    assert (source / "_build" / "html" / "traceability.xlsx").is_file()
    _before_the_end, with_pdf = on_demand_loaded_by_a_build(source, "crmrisk_pack_pdf=1")
    assert "sphinx_crmrisk.sphinx_ext.site_pdf" in with_pdf
    assert (source / "_build" / "html" / "dossier-audit.pdf").is_file()
    # the statement of the law's reading: by the pages that import it
    before_the_end, _after = on_demand_loaded_by_a_build(copy_root("catalogue"))
    assert "sphinx_crmrisk.law_catalogue" in before_the_end


def test_checking_a_needs_json_loads_no_cache_code(tmp_path):
    """``crmrisk check needs.json`` is timed against ``json.load`` (benchmarks/README.md):
    the code of the source folders' cache (and what it brings: tempfile, shutil, random,
    the compression modules) is loaded for a source folder only."""
    needs_json = Path(__file__).parent / "fixtures" / "needs-new.json"
    code = (
        "import sys\n"
        "from sphinx_crmrisk.loading import load_traceability\n"
        "from sphinx_crmrisk.input_paths import LoadError\n"
        "try:\n"
        "    load_traceability(sys.argv[1])\n"
        "except LoadError:\n"
        "    pass\n"
        "print('sphinx_crmrisk.needs_cache' in sys.modules)\n"
    )

    def cache_loaded(path: Path) -> bool:
        done = subprocess.run(
            [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.split()[-1] == "True"

    assert not cache_loaded(needs_json)
    # a source folder (whose build fails: it has no page): the cache builds its needs.json
    (tmp_path / "conf.py").write_text("", encoding="utf-8")
    assert cache_loaded(tmp_path)
