"""simulator/ is a plain package: it never imports Django or the project's Django code."""

import ast
from pathlib import Path

SIMULATOR = Path(__file__).resolve().parent.parent / "simulator"
FORBIDDEN = {"django", "lessons", "config"}


def imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif (
            isinstance(node, ast.Call)
            and (
                (isinstance(node.func, ast.Name) and node.func.id == "__import__")
                or (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
            )
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def test_simulator_never_imports_django() -> None:
    files = sorted(SIMULATOR.rglob("*.py"))
    assert files, f"no Python files under {SIMULATOR}"

    offences = [
        f"{path.relative_to(SIMULATOR.parent)}:{lineno}: imports {module}"
        for path in files
        for lineno, module in imported_modules(ast.parse(path.read_text(), filename=str(path)))
        if module.split(".")[0] in FORBIDDEN
    ]

    assert offences == []


def test_the_import_check_catches_every_form() -> None:
    source = (
        "import django\n"
        "from django.conf import settings\n"
        "import lessons.models as m\n"
        "from config import settings as s\n"
        "importlib.import_module('django.db')\n"
        "__import__('django')\n"
        "from . import policy\n"
        "import json\n"
    )

    modules = [module for _, module in imported_modules(ast.parse(source))]

    assert [m for m in modules if m.split(".")[0] in FORBIDDEN] == [
        "django",
        "django.conf",
        "lessons.models",
        "config",
        "django.db",
        "django",
    ]
