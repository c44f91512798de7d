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


# --- simulator/ has no import cycle ----------------------------------------------------------


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    """Each module of `package` (a folder under `root`) -> the modules of the package it imports.

    Every import statement counts, wherever it stands: at the top, inside a function (a lazy
    import does not make a cycle go away, it hides it), under `if TYPE_CHECKING:`. `from P
    import name` names the submodule `P.name` when there is one, else `P`. A dynamic import
    (`import_module` of a computed name) cannot be followed, so it is refused outright.
    """
    files = {module_name(path, root): path for path in sorted((root / package).rglob("*.py"))}
    modules = set(files)

    def known(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        targets: set[str | None] = set()
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                targets.update(known(alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = module.split(".")
                    anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                    base = ".".join([*anchor, base] if base else anchor)
                for alias in node.names:
                    submodule = f"{base}.{alias.name}"
                    targets.add(submodule if submodule in modules else known(base))
            elif (
                isinstance(node, ast.Call)
                and (
                    (isinstance(node.func, ast.Name) and node.func.id == "__import__")
                    or (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
                )
                and node.args
            ):
                first = node.args[0]
                if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                    raise AssertionError(
                        f"{path}:{node.lineno}: a dynamic import hides what {module} depends on"
                    )
                targets.add(known(first.value))
        graph[module] = {target for target in targets if target and target != module}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a path that starts and ends at the same module, or None."""
    done: set[str] = set()
    path: list[str] = []
    on_path: set[str] = set()

    def visit(module: str) -> list[str] | None:
        path.append(module)
        on_path.add(module)
        for target in sorted(graph.get(module, ())):
            if target in on_path:
                return [*path[path.index(target) :], target]
            if target not in done:
                found = visit(target)
                if found:
                    return found
        path.pop()
        on_path.discard(module)
        done.add(module)
        return None

    for module in sorted(graph):
        if module not in done:
            found = visit(module)
            if found:
                return found
    return None


def test_simulator_has_no_import_cycle() -> None:
    graph = import_graph(SIMULATOR.parent, "simulator")
    assert {"simulator.world", "simulator.account", "simulator.iam.policy"} <= set(graph)

    cycle = find_cycle(graph)

    assert cycle is None, "import cycle: " + " -> ".join(cycle or ())


def test_the_cycle_check_sees_lazy_and_type_only_imports(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg import b\n")
    (package / "b.py").write_text("def f():\n    from pkg.sub import c\n")
    (package / "sub" / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..a import thing\n"
    )

    graph = import_graph(tmp_path, "pkg")

    assert graph["pkg.a"] == {"pkg.b"}
    assert graph["pkg.b"] == {"pkg.sub.c"}
    assert graph["pkg.sub.c"] == {"pkg.a"}
    assert find_cycle(graph) == ["pkg.a", "pkg.b", "pkg.sub.c", "pkg.a"]
    (package / "sub" / "c.py").write_text("import json\n")
    assert find_cycle(import_graph(tmp_path, "pkg")) is None
