"""The fast YAML writer: whatever the text, a YAML loader reads back an equal document."""

from __future__ import annotations

import io

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from crisiscell.engine.yaml_writer import dump_yaml

scalars = st.one_of(
    st.text(),
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
)
records = st.dictionaries(st.text(min_size=1), st.one_of(scalars, st.lists(st.text())), max_size=5)
documents = st.dictionaries(
    st.text(min_size=1),
    st.one_of(scalars, st.lists(records, max_size=4), records),
    max_size=5,
)


@settings(max_examples=500, deadline=None)
@given(documents)
def test_any_document_reads_back_equal(doc):
    out = io.StringIO()
    dump_yaml(doc, out)
    assert yaml.safe_load(out.getvalue()) == (doc or None) or doc == {}


def test_characters_beyond_the_basic_plane_and_controls():
    doc = {"name": "\U00018cd6 \x00\x07 \u2028 é \ufeff", "id": "ARL"}
    out = io.StringIO()
    dump_yaml(doc, out)
    assert yaml.safe_load(out.getvalue()) == doc
