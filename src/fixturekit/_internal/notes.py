"""Exception notes (PEP 678) on every supported Python."""

from __future__ import annotations

import sys

__all__ = ["NOTES_SHOWN", "add_note"]

#: Whether tracebacks print notes: from Python 3.11. Before it, `add_note` still
#: records the note in ``__notes__``, where tools and tests can read it.
NOTES_SHOWN = sys.version_info >= (3, 11)


def add_note(exc: BaseException, text: str) -> None:
    """Attach ``text`` to ``exc`` as a note, once."""
    notes = getattr(exc, "__notes__", None)
    if isinstance(notes, list) and text in notes:
        return
    if sys.version_info >= (3, 11):
        exc.add_note(text)
        return
    try:
        if isinstance(notes, list):
            notes.append(text)
        else:
            exc.__notes__ = [text]  # type: ignore[attr-defined]
    except (AttributeError, TypeError):  # pragma: no cover - an exception without __dict__
        pass
