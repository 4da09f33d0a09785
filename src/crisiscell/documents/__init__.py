"""Printable documents: PDF made with Typst from plain data, fonts embedded, no network.

Each document is a Typst file under ``documents/typst/`` that reads its data as JSON from
``sys.inputs.data`` and lays it out with the house page (``common.typ``). Views and commands
build the data (plain dicts of strings and numbers, already translated and formatted in
the group's time zone) and call :func:`render_pdf`.
"""

from .render import DocumentError, render_pdf

__all__ = ["DocumentError", "render_pdf"]
