"""Docs kept honest: every command, setting and map field is documented."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from crisiscell import cli
from crisiscell.engine.groupmap import FIELDS, GROUP_FIELDS

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
FORMATS = (ROOT / "docs" / "FORMATS.md").read_text(encoding="utf-8")


def _commands(parser: argparse.ArgumentParser, prefix: str = "crisiscell"):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                nested = list(_commands(sub, f"{prefix} {name}"))
                yield from nested or [(f"{prefix} {name}", sub)]


def test_every_command_and_option_is_in_the_readme():
    missing = []
    for command, parser in _commands(cli.build_parser()):
        if f"`{command}" not in README:
            missing.append(command)
        for action in parser._actions:
            for opt in action.option_strings:
                if opt.startswith("--") and opt != "--help" and opt not in README:
                    missing.append(f"{command} {opt}")
    assert not missing, f"undocumented in README.md: {missing}"


def test_every_setting_is_in_the_readme():
    source = (ROOT / "src" / "crisiscell" / "settings.py").read_text(encoding="utf-8")
    names = set(re.findall(r'env(?:_bool|_list)?\("([A-Z_]+)"', source))
    assert names, "no setting found: the pattern no longer matches settings.py"
    missing = sorted(n for n in names if f"CRISISCELL_{n}" not in README)
    assert not missing, f"settings undocumented in README.md: {missing}"


def test_every_map_field_is_in_the_formats_doc():
    fields = {f.name for specs in FIELDS.values() for f in specs} | {f.name for f in GROUP_FIELDS}
    missing = sorted(f for f in fields if f"`{f}`" not in FORMATS)
    assert not missing, f"map fields undocumented in docs/FORMATS.md: {missing}"
