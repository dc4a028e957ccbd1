"""One note before and after de-identification, for the data steward's eyes only.

The "before" is read from the input the steward holds, never from the
warehouse (which has only the "after"). The page is written under the node's
``steward/`` folder (mode 0600 under the node's umask), not with the reports
researchers see.
"""

from __future__ import annotations

import html
from pathlib import Path

from socle.notes.deidentify import Entity

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Note de-identification (steward only)</title>
<style>body{{font-family:sans-serif;margin:2em}} .grid{{display:grid;grid-template-columns:1fr 1fr;gap:1em}}
pre{{white-space:pre-wrap;background:#f6f6f6;padding:1em;border-radius:4px}}
.warn{{background:#fde7e7;padding:.5em 1em;border-left:4px solid #c00}} mark{{background:#ffe08a}}</style>
</head><body>
<h1>One clinical note, before and after de-identification</h1>
<p class="warn"><strong>Steward only.</strong> The left column is the source text, read from the
input files; it is not stored in the warehouse. The right column is what the warehouse holds
(<code>note.note_text</code>); highlighted spans are the surrogates listed in <code>note_nlp</code>.</p>
<p>{summary}</p>
<div class="grid"><section><h2>Before (input)</h2><pre>{before}</pre></section>
<section><h2>After (warehouse)</h2><pre>{after}</pre></section></div>
</body></html>
"""


def _marked(text: str, entities: tuple[Entity, ...]) -> str:
    parts, last = [], 0
    for e in sorted(entities, key=lambda e: e.start):
        parts += [html.escape(text[last : e.start]), f"<mark title='{e.label}'>"]
        parts += [html.escape(text[e.start : e.end]), "</mark>"]
        last = e.end
    return "".join([*parts, html.escape(text[last:])])


def write_preview(path: Path, before: str, after: str, entities: tuple[Entity, ...]) -> Path:
    """Write the steward's before/after page at ``path``."""
    kinds = sorted({e.label for e in entities})
    summary = f"{len(entities)} surrogate(s): {', '.join(kinds) or 'none'}."
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        _PAGE.format(summary=summary, before=html.escape(before), after=_marked(after, entities)),
        encoding="utf-8",
    )
    return path
