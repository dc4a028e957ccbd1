"""Build Socle's name gazetteer from Faker's person providers (MIT licence).

    pip download --no-deps -d /tmp/faker faker==40.54.0
    python scripts/build_name_gazetteer.py /tmp/faker/faker-40.54.0-py3-none-any.whl

Writes ``src/socle/notes/gazetteer/{first,last}_names.txt``: every first and
last name of every locale of Faker written in Latin letters, case-folded and
without accents, 3 letters or more, minus French and English month and
weekday names and spaCy's French stop words. Never run at run time.
"""

from __future__ import annotations

import ast
import re
import sys
import unicodedata
import zipfile
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "socle" / "notes" / "gazetteer"
_LATIN = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ'\- ]+")
_EXCLUDED = set(
    "janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre "
    "january february march april may june july august september october november december "
    "lundi mardi mercredi jeudi vendredi samedi dimanche monday tuesday wednesday thursday "
    "friday saturday sunday".split()
)


def normalise(name: str) -> str:
    decomposed = unicodedata.normalize("NFD", name.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _names(source: str, kind: str) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)):
            continue
        if kind not in node.targets[0].id:
            continue
        value = node.value
        if isinstance(value, ast.Call) and value.args:
            value = value.args[0]
        try:
            names = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            continue
        if isinstance(names, dict):
            names = list(names)
        for name in names if isinstance(names, (list, tuple)) else []:
            if isinstance(name, tuple):
                name = name[0]
            if isinstance(name, str) and _LATIN.fullmatch(name):
                found |= {normalise(part) for part in re.split(r"[ \-]", name)}
    return found


def main(wheel: str) -> None:
    from spacy.lang.fr.stop_words import STOP_WORDS

    first: set[str] = set()
    last: set[str] = set()
    with zipfile.ZipFile(wheel) as archive:
        for member in archive.namelist():
            if re.fullmatch(r"faker/providers/person/[^/]+/__init__\.py", member):
                source = archive.read(member).decode()
                first |= _names(source, "first_name")
                last |= _names(source, "last_name")
    drop = _EXCLUDED | {normalise(w) for w in STOP_WORDS}
    OUT.mkdir(parents=True, exist_ok=True)
    for name, values in (("first_names", first), ("last_names", last)):
        kept = sorted(v for v in values if len(v) >= 3 and v not in drop)
        (OUT / f"{name}.txt").write_text("\n".join(kept) + "\n", encoding="utf-8")
        print(name, len(kept))


if __name__ == "__main__":
    main(sys.argv[1])
