"""Every environment variable the application reads (config/settings.py, and
the few a module reads itself, such as prometheus_client's multiprocess
directory) is in the README's Configuration table, so the table cannot fall
behind the settings."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = ROOT / "config" / "settings.py"
README = ROOT / "README.md"
# Not the application: its tests, the development scripts, installed packages.
NOT_APPLICATION = {"tests", "scripts", "var", "static", "templates", "locale", "deploy"}


def application_modules() -> list[Path]:
    modules = []
    for top in sorted(ROOT.iterdir()):
        if top.is_dir() and not top.name.startswith(".") and top.name not in NOT_APPLICATION:
            modules.extend(sorted(top.rglob("*.py")))
    return modules


def _is_environ(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "environ"
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
    )


def _first_string(args: list[ast.expr]) -> str | None:
    if args and isinstance(args[0], ast.Constant) and isinstance(args[0].value, str):
        return args[0].value
    return None


def variables_read_by_settings() -> set[str]:
    """The names passed as a literal to env_*(...), os.environ.get(...),
    os.getenv(...) and os.environ[...] in the application's modules."""
    names: set[str] = set()
    for path in application_modules():
        names |= _variables_read_by(path)
    return names


def _variables_read_by(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Call):
            func = node.func
            reads = (
                (isinstance(func, ast.Name) and func.id.startswith("env_"))
                or (
                    isinstance(func, ast.Attribute)
                    and func.attr == "get"
                    and _is_environ(func.value)
                )
                or (
                    isinstance(func, ast.Attribute)
                    and func.attr == "getenv"
                    and isinstance(func.value, ast.Name)
                    and func.value.id == "os"
                )
            )
            name = _first_string(node.args) if reads else None
        elif isinstance(node, ast.Subscript) and _is_environ(node.value):
            name = _first_string([node.slice])
        else:
            name = None
        if name is not None:
            names.add(name)
    return names


def variables_in_the_readme_table() -> set[str]:
    """The first column of every table row in the "## Configuration" section."""
    text = README.read_text()
    section = re.search(r"^## Configuration\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert section is not None, "README.md has no '## Configuration' section"
    return set(re.findall(r"^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|", section.group(1), re.M))


def test_the_parser_finds_what_the_settings_read():
    found = variables_read_by_settings()
    # One of each kind of call, including one wrapped over two lines.
    assert {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_CONN_MAX_AGE"} <= found
    assert "NOTIFICATIONS_CONDITION_OVERDUE_EVERY_DAYS" in found
    assert "name" not in found
    # Read by a module itself, not through the settings.
    assert "PROMETHEUS_MULTIPROC_DIR" in found
    assert SETTINGS in application_modules()


def test_every_variable_the_settings_read_is_documented():
    missing = sorted(variables_read_by_settings() - variables_in_the_readme_table())
    assert not missing, f"add these to the README's Configuration table: {missing}"


def test_the_table_documents_no_variable_the_settings_do_not_read():
    stale = sorted(variables_in_the_readme_table() - variables_read_by_settings())
    assert not stale, f"the README's Configuration table lists variables nothing reads: {stale}"
