"""Typst to PDF, with the fonts shipped in the package and nothing from the system."""

from __future__ import annotations

import json
from pathlib import Path

import typst

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "typst"
FONTS = HERE / "fonts"


class DocumentError(RuntimeError):
    """Typst refused a document: a bug in a template or in the data given to it."""


def render_pdf(template: str, data: dict) -> bytes:
    """Lay out ``typst/<template>.typ`` with ``data`` and return the PDF bytes.

    Only the fonts in ``documents/fonts`` are used (and Typst's own), so a PDF looks the
    same on every machine and embeds every glyph it shows.
    """
    source = TEMPLATES / f"{template}.typ"
    if not source.is_file():
        raise DocumentError(f"no such document template: {template}")
    try:
        return typst.compile(
            str(source),
            root=str(TEMPLATES),
            font_paths=[str(FONTS)],
            ignore_system_fonts=True,
            sys_inputs={"data": json.dumps(data, ensure_ascii=False, default=str)},
        )
    except RuntimeError as exc:  # typst reports layout errors as RuntimeError
        raise DocumentError(f"{template}: {exc}") from exc
