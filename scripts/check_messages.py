"""The translation catalogues: regenerate them with makemessages, check them,
compile them. Run by scripts/check-messages.sh (``make test``) and by
``make messages`` (``--update``).

Catalogues: every app with a ``locale/`` directory keeps its own
(``<app>/locale/<lang>/LC_MESSAGES/django.po``, from the app's own files); the
project's templates (``templates/``) and ``config/`` go into
``locale/<lang>/LC_MESSAGES/django.po`` (LOCALE_PATHS).

The check fails, naming the file and the messages, when

- a marked string is not in the catalogue yet (makemessages added it),
- the catalogue holds a string no longer marked (makemessages removed it),
- a message has no translation, or a fuzzy one.

makemessages writes into the real .po files, so after a failure the new
strings are there to translate. A catalogue whose messages did not change is
left byte for byte as it was (makemessages would only move its
POT-Creation-Date). Then every catalogue is compiled (compilemessages, GNU
gettext's msgfmt): the .mo files are build output, never committed.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Never scanned for the project catalogue (besides every app, which keeps its own).
NOT_PROJECT = [".venv", "var", "tests", "scripts", "static", "media", "node_modules", "locale"]
# Never walked for catalogues to compile.
NOT_COMPILED = [".venv", "var", "static", "media", "node_modules", "test-results"]
HEADER = {
    "Project-Id-Version": "StageGate",
    "Report-Msgid-Bugs-To": "",
    "MIME-Version": "1.0",
    "Content-Type": "text/plain; charset=UTF-8",
    "Content-Transfer-Encoding": "8bit",
    "Plural-Forms": "nplurals=2; plural=(n != 1);",
}


@dataclass(frozen=True)
class Catalogue:
    name: str
    directory: Path  # makemessages runs here
    ignore: tuple[str, ...]

    def po_file(self, language: str) -> Path:
        return self.directory / "locale" / language / "LC_MESSAGES" / "django.po"


def apps() -> list[str]:
    return sorted(p.parent.name for p in ROOT.glob("*/apps.py"))


def catalogues() -> list[Catalogue]:
    found = [Catalogue(app, ROOT / app, ()) for app in apps() if (ROOT / app / "locale").is_dir()]
    found.append(Catalogue("project", ROOT, tuple(apps() + NOT_PROJECT)))
    return found


def languages() -> list[str]:
    from django.conf import settings
    from django.utils.translation import to_locale

    return [to_locale(code) for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


@contextlib.contextmanager
def working_directory(path: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def message_ids(po) -> set[tuple[str, str, str]]:
    return {(e.msgctxt or "", e.msgid, e.msgid_plural or "") for e in po if not e.obsolete}


def show(message: tuple[str, str, str]) -> str:
    context, msgid, _plural = message
    return f"[{context}] {msgid!r}" if context else repr(msgid)


def without_creation_date(text: bytes) -> bytes:
    return b"\n".join(
        line for line in text.split(b"\n") if not line.startswith(b'"POT-Creation-Date:')
    )


def regenerate(catalogue: Catalogue, language: str) -> list[str]:
    """makemessages into the catalogue; the problems found, one line each."""
    import polib
    from django.core.management import call_command

    po_path = catalogue.po_file(language)
    relative = po_path.relative_to(ROOT)
    before_text = po_path.read_bytes() if po_path.exists() else None
    before = message_ids(polib.pofile(str(po_path))) if before_text is not None else set()
    with working_directory(catalogue.directory):
        call_command(
            "makemessages",
            locale=[language],
            no_obsolete=True,
            add_location="file",
            ignore_patterns=list(catalogue.ignore),
            verbosity=0,
        )
    if not po_path.exists():
        return []  # nothing marked here yet
    po = polib.pofile(str(po_path))
    if before_text is None or po.metadata_is_fuzzy:
        # A new catalogue: makemessages leaves its header as a fuzzy template.
        po.metadata.update(HEADER, Language=language)
        po.metadata_is_fuzzy = 0
        po.save()
    after_text = po_path.read_bytes()
    if before_text is not None and without_creation_date(after_text) == without_creation_date(
        before_text
    ):
        po_path.write_bytes(before_text)
    after = message_ids(po)
    problems = [f"{relative}: not in the catalogue: {show(m)}" for m in sorted(after - before)]
    problems += [f"{relative}: no longer marked: {show(m)}" for m in sorted(before - after)]
    for entry in po:
        if entry.obsolete:
            continue
        message = (entry.msgctxt or "", entry.msgid, entry.msgid_plural or "")
        if "fuzzy" in entry.flags:
            problems.append(f"{relative}: fuzzy: {show(message)}")
        elif not entry.translated():
            problems.append(f"{relative}: not translated: {show(message)}")
    return problems


def compile_all() -> None:
    from django.core.management import call_command

    with working_directory(ROOT):
        call_command("compilemessages", ignore_patterns=NOT_COMPILED, verbosity=0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--update",
        action="store_true",
        help="regenerate and compile; list what is left to translate but do not fail",
    )
    options = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    problems = []
    for catalogue in catalogues():
        for language in languages():
            problems += regenerate(catalogue, language)
    compile_all()
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems and not options.update:
        print(
            f"check-messages: {len(problems)} problem(s); translate them in the .po files "
            "named above (make messages regenerates and compiles)",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
