"""Typst to PDF, with the fonts shipped in the package and nothing from the system."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import typst

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "typst"
FONTS = HERE / "fonts"

#: One compiler per template and thread: the fonts are read once, and Typst keeps what it
#: laid out before (the same forms, the same reflex card), so the next document is quicker.
_local = threading.local()


class DocumentError(RuntimeError):
    """Typst refused a document: a bug in a template or in the data given to it."""


def _compiler(template: str) -> typst.Compiler:
    compilers = getattr(_local, "compilers", None)
    if compilers is None:
        compilers = _local.compilers = {}
    if template not in compilers:
        fonts = typst.Fonts(
            include_system_fonts=False, include_embedded_fonts=True, font_paths=[str(FONTS)]
        )
        compilers[template] = typst.Compiler(
            str(TEMPLATES / f"{template}.typ"), root=str(TEMPLATES), font_paths=fonts
        )
    return compilers[template]


def render_pdf(template: str, data: dict, *, tagged: bool = True) -> bytes:
    """Lay out ``typst/<template>.typ`` with ``data`` and return the PDF bytes.

    Only the fonts in ``documents/fonts`` are used (and Typst's own), so a PDF looks the
    same on every machine and embeds every glyph it shows. ``tagged``: write the structure
    tags screen readers use; documents made only to be printed, by the hundred (the
    downtime kits), leave them out, which makes them several times quicker to lay out.
    """
    source = TEMPLATES / f"{template}.typ"
    if not source.is_file():
        raise DocumentError(f"no such document template: {template}")
    try:
        return _compiler(template).compile(
            sys_inputs={"data": json.dumps(data, ensure_ascii=False, default=str)},
            pdf_tags=tagged,
        )
    except RuntimeError as exc:  # typst reports layout errors as RuntimeError
        raise DocumentError(f"{template}: {exc}") from exc
