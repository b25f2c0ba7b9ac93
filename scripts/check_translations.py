"""Fail when the Japanese catalogue is incomplete or stale.

Checks, in order:
1. every string marked for translation in the code and templates is in
   ``locale/ja/LC_MESSAGES/django.po`` (``makemessages`` is run on a copy and compared);
2. no entry is fuzzy, untranslated or obsolete;
3. the compiled ``django.mo`` holds exactly the ``.po``'s translations.

Usage: python scripts/check_translations.py   (exit status 1 with a list on failure)
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "locale" / "ja" / "LC_MESSAGES"
PO = LOCALE / "django.po"
MO = LOCALE / "django.mo"
IGNORE = [".venv", "var", "bench", "node_modules"]


def key(entry: polib.POEntry) -> tuple[str, str, str]:
    return (entry.msgctxt or "", entry.msgid, entry.msgid_plural or "")


def extracted_msgids() -> set[tuple[str, str, str]]:
    """The entries ``makemessages`` would write today, without touching the real catalogue."""
    backup = Path(tempfile.mkdtemp()) / "django.po"
    shutil.copyfile(PO, backup)
    try:
        command = [sys.executable, "manage.py", "makemessages", "-l", "ja", "--no-location", "--verbosity", "0"]
        for pattern in IGNORE:
            command.append(f"--ignore={pattern}")
        subprocess.run(command, cwd=ROOT, check=True, env={**os.environ, "DJANGO_LOG_LEVEL": "WARNING"})
        fresh = polib.pofile(str(PO))
        return {key(entry) for entry in fresh if not entry.obsolete}
    finally:
        shutil.copyfile(backup, PO)
        shutil.rmtree(backup.parent)


def problems() -> list[str]:
    found = []
    catalogue = polib.pofile(str(PO))
    present = {key(entry) for entry in catalogue if not entry.obsolete}
    for missing in sorted(extracted_msgids() - present):
        found.append(f"not in django.po (run makemessages): {missing[1]!r}")
    for entry in catalogue:
        if entry.obsolete:
            found.append(f"obsolete: {entry.msgid!r}")
        elif "fuzzy" in entry.flags:
            found.append(f"fuzzy: {entry.msgid!r}")
        elif not entry.translated():
            found.append(f"untranslated: {entry.msgid!r}")
    compiled = {key(entry): (entry.msgstr, entry.msgstr_plural) for entry in polib.mofile(str(MO)) if entry.msgid}
    written = {
        key(entry): (entry.msgstr, entry.msgstr_plural)
        for entry in catalogue
        if entry.msgid and not entry.obsolete and entry.translated()
    }
    if compiled != written:
        found.append("django.mo differs from django.po (run compilemessages)")
    return found


def main() -> int:
    found = problems()
    for line in found:
        print(f"locale/ja: {line}")
    if found:
        print(f"translation check: {len(found)} problem(s)")
        return 1
    print(f"translation check: {len(polib.pofile(str(PO)))} Japanese entries, none fuzzy, untranslated or stale")
    return 0


if __name__ == "__main__":
    sys.exit(main())
