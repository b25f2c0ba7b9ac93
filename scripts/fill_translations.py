"""Fill Japanese msgstr entries from a {msgid: msgstr} dict in a Python file, then compile.

Usage: python scripts/fill_translations.py TRANSLATIONS.py [MORE.py ...]
Run ``manage.py makemessages -l ja`` first; untranslated entries are listed at the end.
"""

import runpy
import subprocess
import sys
from pathlib import Path

import polib

PO = Path(__file__).resolve().parent.parent / "locale" / "ja" / "LC_MESSAGES" / "django.po"


def main(*sources: str) -> None:
    table = {}
    for source in sources:
        table.update(runpy.run_path(source)["JA"])
    po = polib.pofile(str(PO))
    for entry in po:
        if entry.msgid in table:
            if entry.msgid_plural:  # Japanese has one plural form
                entry.msgstr_plural = {0: table[entry.msgid]}
            else:
                entry.msgstr = table[entry.msgid]
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
    po.metadata["Language"] = "ja"
    po.metadata["Content-Type"] = "text/plain; charset=UTF-8"
    po.metadata["Plural-Forms"] = "nplurals=1; plural=0;"
    po.save()
    missing = [e.msgid for e in po if e.msgid and not e.obsolete and not (e.msgstr or any(e.msgstr_plural.values()))]
    subprocess.run(["msgfmt", "--check", "-o", str(PO.with_suffix(".mo")), str(PO)], check=True)
    print(f"{len(po) - len(missing)} translated, {len(missing)} missing")
    for m in missing:
        print("  missing:", m)


if __name__ == "__main__":
    main(*sys.argv[1:])
