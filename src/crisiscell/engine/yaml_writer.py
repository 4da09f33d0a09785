"""A fast YAML writer for plain data: the group map at region scale in seconds.

PyYAML's dumper, even in its C version, spends half a minute in its representer on a
1,000-site map. This small emitter writes block style with each record of plain values
on one flow-style line (``- {id: ws-arl-0001, zone: ARL-WS, ...}``), the layout of
FORMATS.md §1, quoting every string a YAML 1.1 loader could read as something else.
Any YAML loader reads back an equal document (tested on the demo map and awkward strings).
"""

from __future__ import annotations

import math
import re
from typing import IO, Any


def dump_yaml(doc: dict[str, Any], stream: IO[str]) -> None:
    """Write `doc` as YAML: block style, with each record of plain values on one flow-style line
    (``- {id: ws-arl-0001, zone: ARL-WS, ...}``), the layout of FORMATS.md §1.

    Any YAML loader reads back an equal document. This is a small emitter for plain data
    (dicts, lists, strings, numbers, booleans, None) rather than PyYAML's dumper, which even
    in its C version spends half a minute on the representer for a 1,000-site map."""
    scalars: dict[Any, str] = {}

    def scalar(v: Any) -> str:
        key = (type(v), v)
        out = scalars.get(key)
        if out is None:
            out = scalars[key] = _yaml_scalar(v)
        return out

    lines: list[str] = []
    _yaml_block(doc, 0, lines, scalar)
    stream.write("".join(lines))


#: Strings safe as YAML plain scalars, in block and flow context, that load back as strings.
_PLAIN = re.compile(r"[^\W\d_](?:[\w .'()/—’-]*[\w.'()/—’-])?|\d+\.\d+\.\d+\.\d+")
#: Plain words YAML 1.1 loaders read as booleans or null.
_YAML_WORDS = frozenset({"yes", "no", "true", "false", "on", "off", "null", "y", "n"})


def _yaml_scalar(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return ".nan"
        if math.isinf(v):
            return ".inf" if v > 0 else "-.inf"
        text = repr(v)
        if "." not in text:  # 1e-05: YAML 1.1 wants a dot in the mantissa
            mantissa, _, exponent = text.partition("e")
            text = f"{mantissa}.0" + (f"e{exponent}" if exponent else "")
        return text
    if not isinstance(v, str):
        raise TypeError(f"cannot write {type(v).__name__} as YAML")
    if _PLAIN.fullmatch(v) and v.lower() not in _YAML_WORDS:
        return v
    return _double_quoted(v)


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _double_quoted(v: str) -> str:
    """A YAML double-quoted scalar: printable characters as they are, the rest escaped
    (YAML, unlike JSON, writes a character beyond U+FFFF as one \\U escape)."""
    out = []
    for ch in v:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x100:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


def _yaml_leafy(v: Any) -> bool:
    """A scalar, or a container of scalars only: written on one line."""
    if isinstance(v, dict):
        return not any(isinstance(x, (dict, list)) for x in v.values())
    if isinstance(v, list):
        return not any(isinstance(x, (dict, list)) for x in v)
    return True


def _yaml_flow(v: Any, scalar: Any) -> str:
    if isinstance(v, dict):
        return "{" + ", ".join(f"{scalar(k)}: {scalar(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(scalar(x) for x in v) + "]"
    return scalar(v)


def _yaml_block(v: Any, indent: int, lines: list[str], scalar: Any) -> None:
    pad = " " * indent
    if isinstance(v, dict):
        for k, x in v.items():
            if _yaml_leafy(x):
                lines.append(f"{pad}{scalar(k)}: {_yaml_flow(x, scalar)}\n")
            else:
                lines.append(f"{pad}{scalar(k)}:\n")
                _yaml_block(x, indent if isinstance(x, list) else indent + 2, lines, scalar)
        return
    for x in v:
        if _yaml_leafy(x):
            lines.append(f"{pad}- {_yaml_flow(x, scalar)}\n")
            continue
        sub: list[str] = []
        _yaml_block(x, indent + 2, sub, scalar)
        sub[0] = f"{pad}- {sub[0][indent + 2 :]}"
        lines.extend(sub)
