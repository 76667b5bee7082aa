"""The layout of the tests, checked: test support is a layer (tests/support/) that every test
imports from, and no test module, conftest or benchmark imports another test module or a
conftest; the test directories mirror the packages of lti_tool/, so the tests of a package are
found where the package is.

A helper two test modules need goes into tests/support/ (one module per purpose); a fixture
goes into the conftest.py of the directory whose tests use it, built from support."""

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
PACKAGE = ROOT / "lti_tool"
SUPPORT = "tests.support"

# What in tests/ mirrors no package or module of lti_tool/, and why.
NOT_MIRRORS = {
    "bench": "bench/, beside lti_tool/: each benchmark run at a tiny size",
    "browser": "journeys across packages in a real browser (Chromium driven by Playwright)",
    "fixtures": "data, not tests: id_tokens a real Moodle signed",
    "support": "the support layer every test builds on",
    "test_config.py": "config/, the configuration package beside lti_tool/",
    "test_end_to_end.py": "the whole tool, launched from the sandbox LMS over real HTTP",
    "test_layout.py": "this guard: the layout of tests/ itself",
}


def _python_files() -> list[Path]:
    found = [*TESTS.rglob("*.py"), *(ROOT / "bench").rglob("*.py")]
    return sorted(path for path in found if "__pycache__" not in path.parts)


def _module_of(path: Path) -> list[str]:
    """The dotted name of a file's package, as parts (tests/web/x.py: ["tests", "web"])."""
    return list(path.relative_to(ROOT).parent.parts)


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, dotted name) of everything the file imports, relative imports resolved, and of
    the plugins a conftest loads by name (`pytest_plugins`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            package = _module_of(path)
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            if module == "tests":  # `from tests import x`: x is a module
                for alias in node.names:
                    yield node.lineno, f"tests.{alias.name}"
            else:
                yield node.lineno, module
        elif isinstance(node, ast.Assign) and any(
                isinstance(target, ast.Name) and target.id == "pytest_plugins"
                for target in node.targets):
            for constant in ast.walk(node.value):
                if isinstance(constant, ast.Constant) and isinstance(constant.value, str):
                    yield node.lineno, constant.value


def _outside_support(name: str) -> bool:
    inside_tests = name == "tests" or name.startswith("tests.")
    return inside_tests and name != SUPPORT and not name.startswith(SUPPORT + ".")


def test_tests_import_from_the_support_layer_only():
    """No test module, conftest, support module or benchmark imports a test module or a
    conftest: only tests.support."""
    offenders = [f"{path.relative_to(ROOT)}:{line} imports {name}"
                 for path in _python_files() for line, name in _imports(path)
                 if _outside_support(name)]
    assert not offenders, ("Import from tests/support/ instead (move what is shared there):\n"
                           + "\n".join(offenders))


def _exception(relative: Path) -> bool:
    return relative.parts[0] in NOT_MIRRORS


def test_test_directories_mirror_the_packages_of_lti_tool():
    """tests/<a>/<b>/ tests lti_tool/<a>/<b>/; a top-level tests/test_<name>.py tests
    lti_tool/<name>.py or lti_tool/<name>/ (NOT_MIRRORS lists the exceptions)."""
    strays = []
    for directory in sorted(TESTS.rglob("*")):
        relative = directory.relative_to(TESTS)
        if not directory.is_dir() or "__pycache__" in relative.parts or _exception(relative):
            continue
        if not (PACKAGE / relative).is_dir():
            strays.append(f"tests/{relative}/: no lti_tool/{relative}/")
    for module in sorted(TESTS.glob("test_*.py")):
        name = module.stem.removeprefix("test_")
        if module.name in NOT_MIRRORS:
            continue
        if not ((PACKAGE / f"{name}.py").is_file() or (PACKAGE / name).is_dir()):
            strays.append(f"tests/{module.name}: no lti_tool/{name}.py or lti_tool/{name}/")
    assert not strays, ("Move these tests to the directory of the package they test, or add "
                        "them to NOT_MIRRORS with the reason:\n" + "\n".join(strays))


def test_every_exception_to_the_mirror_still_exists():
    stale = [name for name in NOT_MIRRORS if not (TESTS / name).exists()]
    assert not stale, f"NOT_MIRRORS names what tests/ no longer holds: {stale}"


def test_every_test_directory_is_a_package():
    """Test modules are named by their package (tests.web.test_x): two directories may hold
    modules of the same name (tests/privacy/test_x.py and tests/workspace/test_x.py)."""
    missing = sorted(f"tests/{path.parent.relative_to(TESTS)}/"
                     for path in TESTS.rglob("*.py")
                     if path.parent != TESTS and "__pycache__" not in path.parts
                     and not (path.parent / "__init__.py").is_file())
    assert not missing, f"Add an __init__.py to: {sorted(set(missing))}"
