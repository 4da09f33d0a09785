"""A small, safe subset of Markdown turned into plain blocks for a Typst document.

The reflex cards are Markdown edited by the care units. Rather than building Typst markup
(where one missed escape lets a card run code or break the compile), a card becomes a
list of JSON-able blocks; the template lays them out from data, and every piece of text
reaches Typst as a string, which it prints as it is. No input can inject anything.

Understood: ``#``, ``##``, ``###`` headings (more ``#`` read as ``###``), paragraphs,
``-``/``*``/``+`` bullets, ``1.`` numbered items, ``- [ ]`` / ``- [x]`` boxes to tick,
``**bold**``, ``*italic*``, hard line breaks (two trailing spaces or a trailing
backslash), ``---`` rules, backslash escapes. Everything else is literal text.

Blocks::

    {"kind": "heading", "level": 1 | 2 | 3, "runs": [...]}
    {"kind": "para", "runs": [...]}
    {"kind": "item", "marker": "bullet" | "number" | "box" | "ticked", "number": "3",
     "depth": 0..3, "runs": [...]}
    {"kind": "rule"}

A run is ``{"text": str, "bold": bool, "italic": bool, "br": bool}`` (``br``: a line
break, with an empty text).
"""

from __future__ import annotations

import re
import unicodedata

_HEADING = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_RULE = re.compile(r" {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_BULLET = re.compile(r"( *)([-*+])[ \t]+(\S.*)$")
_NUMBER = re.compile(r"( *)(\d{1,9})[.)][ \t]+(\S.*)$")
_BOX = re.compile(r"\[([ xX])\](?:[ \t]+(.*))?$")
_PUNCTUATION = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
MAX_DEPTH = 3


def _clean(text: str) -> str:
    """Line ends made ``\\n``; other control characters, surrogates and unassigned code
    points made spaces (nothing a font or a JSON encoder could choke on)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n")
    text = text.replace("\u2029", "\n").replace("\t", "    ")
    return "".join(
        c if c == "\n" or unicodedata.category(c) not in ("Cc", "Cs", "Cn") else " " for c in text
    )


def _tokens(text: str) -> list[tuple]:
    """("text", s) and ("delim", "**" | "*") tokens; backslash escapes resolved."""
    out: list[tuple] = []
    buf: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n and text[i + 1] in _PUNCTUATION:
            buf.append(text[i + 1])
            i += 2
        elif c == "*":
            size = 2 if text.startswith("**", i) else 1
            if buf:
                out.append(("text", "".join(buf)))
                buf = []
            before = text[i - 1] if i else " "
            after = text[i + size] if i + size < n else " "
            out.append(("delim", "*" * size, not after.isspace(), not before.isspace()))
            i += size
        else:
            buf.append(c)
            i += 1
    if buf:
        out.append(("text", "".join(buf)))
    return out


def runs(text: str) -> list[dict]:
    """The inline runs of one line: ``**bold**`` and ``*italic*``, the rest as is."""
    tokens = _tokens(text)
    pairs: dict[int, int] = {}  # opener index -> closer index
    stack: list[int] = []
    for k, tok in enumerate(tokens):
        if tok[0] != "delim":
            continue
        _, mark, can_open, can_close = tok
        opener = next((j for j in reversed(stack) if tokens[j][1] == mark), None)
        if can_close and opener is not None and opener < k - 1:
            stack.remove(opener)
            pairs[opener] = k
        elif can_open:
            stack.append(k)
    closers = set(pairs.values())
    bold = italic = 0
    out: list[dict] = []
    for k, tok in enumerate(tokens):
        if tok[0] == "delim" and (k in pairs or k in closers):
            step = 1 if k in pairs else -1
            if tok[1] == "**":
                bold += step
            else:
                italic += step
            continue
        _add(out, tok[1], bold > 0, italic > 0)
    return out


def _add(out: list[dict], text: str, bold: bool, italic: bool) -> None:
    if not text:
        return
    last = out[-1] if out else None
    if last and not last["br"] and (last["bold"], last["italic"]) == (bold, italic):
        last["text"] += text
    else:
        out.append({"text": text, "bold": bold, "italic": italic, "br": False})


def _inline(lines: list[str]) -> list[dict]:
    """The runs of a paragraph's lines: joined by a space, or by a break where a line
    ends with two spaces or a backslash."""
    out: list[dict] = []
    for k, line in enumerate(lines):
        last = k == len(lines) - 1
        hard = line.endswith("  ") or (line.endswith("\\") and not line.endswith("\\\\"))
        body = re.sub(r"\s+", " ", line.strip())
        if hard and not last and body.endswith("\\"):
            body = body[:-1].rstrip()
        for r in runs(body):
            _add(out, r["text"], r["bold"], r["italic"])
        if not last:
            if hard:
                out.append({"text": "", "bold": False, "italic": False, "br": True})
            else:
                _add(out, " ", False, False)
    return out


def _number(out: list[dict], depth: int, written: str) -> str:
    """An item's number: the one written on a list's first item, then counted on."""
    for b in reversed(out):
        if b["kind"] != "item" or b["depth"] < depth:
            break
        if b["depth"] == depth:
            return str(int(b["number"]) + 1) if b["marker"] == "number" else str(int(written))
    return str(int(written))


def blocks(markdown: str) -> list[dict]:
    """The blocks of a Markdown text, in order (see the module's docstring)."""
    out: list[dict] = []
    current: dict | None = None  # the paragraph or item whose lines are being gathered
    lines: list[str] = []

    def close() -> None:
        nonlocal current, lines
        if current is not None:
            current["runs"] = _inline(lines)
            if current["runs"] or current["kind"] == "item":
                out.append(current)
        current, lines = None, []

    for line in _clean(markdown).split("\n"):
        if not line.strip():
            close()
        elif m := _HEADING.match(line):
            close()
            level = min(len(m.group(1)), 3)
            out.append({"kind": "heading", "level": level, "runs": _inline([m.group(2) or ""])})
        elif _RULE.match(line):
            close()
            out.append({"kind": "rule"})
        elif m := (_BULLET.match(line) or _NUMBER.match(line)):
            close()
            indent, mark, body = m.groups()
            item = {"kind": "item", "marker": "bullet", "number": "", "depth": 0}
            item["depth"] = min(len(indent) // 2, MAX_DEPTH)
            if mark.isdigit():
                item["marker"], item["number"] = "number", _number(out, item["depth"], mark)
            elif box := _BOX.match(body):
                item["marker"] = "box" if box.group(1) == " " else "ticked"
                body = box.group(2) or ""
            current, lines = item, [body]
        elif current is not None:
            lines.append(line)  # a paragraph goes on, or an item's text (lazy continuation)
        else:
            current, lines = {"kind": "para"}, [line]
    close()
    return out


def plain_text(block_list: list[dict]) -> str:
    """The text of the blocks, one block a line: what a reader sees, without the layout."""
    return "\n".join("".join(r["text"] for r in b.get("runs", ())) for b in block_list)
