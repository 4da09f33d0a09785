"""The reflex card's Markdown made into plain blocks: what is understood, and that
everything else stays literal text."""

from __future__ import annotations

import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from crisiscell.engine.markdown_typst import blocks, plain_text, runs


def text_of(b: dict) -> str:
    return "".join(r["text"] for r in b["runs"])


def styled(b: dict) -> list[tuple[str, bool, bool]]:
    return [(r["text"], r["bold"], r["italic"]) for r in b["runs"] if not r["br"]]


def test_headings_paragraphs_and_rules():
    out = blocks(
        "# Titre\n\nUne ligne\net la suite\n\n## Sous-titre ##\n---\n### Trois\n#### Quatre"
    )
    assert [(b["kind"], b.get("level")) for b in out] == [
        ("heading", 1),
        ("para", None),
        ("heading", 2),
        ("rule", None),
        ("heading", 3),
        ("heading", 3),
    ]
    assert text_of(out[0]) == "Titre"
    assert text_of(out[1]) == "Une ligne et la suite"
    assert text_of(out[2]) == "Sous-titre"


def test_lists_numbers_and_boxes_to_tick():
    out = blocks(
        "- un\n* deux\n+ trois\n  - dedans\n1. premier\n1. second\n7) septième\n"
        "- [ ] à faire\n- [x] fait\n- [ ]"
    )
    assert [(b["marker"], b["number"], b["depth"]) for b in out] == [
        ("bullet", "", 0),
        ("bullet", "", 0),
        ("bullet", "", 0),
        ("bullet", "", 1),
        ("number", "1", 0),
        ("number", "2", 0),
        ("number", "3", 0),
        ("box", "", 0),
        ("ticked", "", 0),
        ("box", "", 0),
    ]
    assert text_of(out[7]) == "à faire" and text_of(out[9]) == ""


def test_an_item_goes_on_over_the_next_line():
    (item,) = blocks("- [ ] Appeler le labo\n  et relire à voix haute")
    assert text_of(item) == "Appeler le labo et relire à voix haute"


def test_bold_italic_and_hard_breaks():
    (p,) = blocks("**gras** et *italique* et ***les deux***  \nligne\\\nfin")
    assert styled(p) == [
        ("gras", True, False),
        (" et ", False, False),
        ("italique", False, True),
        (" et ", False, False),
        ("les deux", True, True),
        ("ligne", False, False),
        ("fin", False, False),
    ]
    assert [r["br"] for r in p["runs"]].count(True) == 2


def test_what_is_not_emphasis_stays_as_written():
    assert [r["text"] for r in runs("2 * 3 * 4")] == ["2 * 3 * 4"]
    assert [r["text"] for r in runs("**pas fermé")] == ["**pas fermé"]
    assert [r["text"] for r in runs(r"\*échappé\* et \# et \\")] == ["*échappé* et # et \\"]
    assert [r["text"] for r in runs("****")] == ["****"]


def test_typst_syntax_is_plain_text():
    source = (
        '#let x = 1\n#import "/etc/passwd"\n$x^2$ <label> @ref #{1 + 1} [lien](http://x)\n'
        "`code` _souligné_ = + / ~ ' \" \\ #set page(width: 1pt)"
    )
    out = blocks(source)
    assert [b["kind"] for b in out] == ["para"]
    assert text_of(out[0]) == " ".join(source.split("\n"))


def test_control_characters_and_line_ends():
    out = blocks("a\r\nb\x00c\rd\u2028e\x1bf")
    assert plain_text(out) == "a b c d e f"


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_gives_json_blocks_of_plain_strings(source):
    out = blocks(source)
    json.dumps(out)  # plain data
    for b in out:
        assert b["kind"] in ("heading", "para", "item", "rule")
        for r in b.get("runs", ()):
            assert set(r) == {"text", "bold", "italic", "br"}
            assert "\n" not in r["text"] and not re.search(r"[\x00-\x1f\x7f]", r["text"])


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab1 #*-+_[]x.)\\\n`$<>@"))))
def test_words_are_kept(source):
    words = re.findall(r"[ab1]+", source.replace("\\", " "))
    shown = re.sub(r"\s", "", plain_text(blocks(source)))
    for w in words:
        if re.search("[ab]", w):
            assert w in shown
