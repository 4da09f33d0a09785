"""Host lists from compromise reports: every line checked, errors named by line, and the
parser never raises on any text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from crisiscell.engine.host_list import HostIndex, match_pattern, parse_host_list

INDEX = HostIndex(["srv-ehr-01", "srv-pacs-01", "ws-arl-001", "ws-arl-002"])


def test_one_name_per_line_with_comments_and_blanks():
    text = "# from the EDR console\nsrv-ehr-01\n\n  WS-ARL-001  \nsrv-ehr-01\n"
    assert parse_host_list(text, INDEX, "compromised") == (
        {"srv-ehr-01": "compromised", "ws-arl-001": "compromised"},
        [],
    )


def test_a_csv_with_a_header_and_a_state_column():
    text = "\ufeffComputerName;IP;State\nsrv-pacs-01.chu.local;10.0.0.4;suspected\nws-arl-002;;\n"
    found, errors = parse_host_list(text, INDEX, "compromised")
    assert errors == []
    assert found == {"srv-pacs-01": "suspected", "ws-arl-002": "compromised"}


def test_every_bad_line_is_named_and_nothing_is_returned():
    text = "host,state\nsrv-ehr-01,compromised\nsrv-typo,compromised\nws-arl-001,pwned\n,ok\n"
    text += "srv-ehr-01,ok\n"
    found, errors = parse_host_list(text, INDEX, "suspected")
    assert found == {}
    assert [(e.line, e.message.split(":")[0].split(" ")[0]) for e in errors] == [
        (3, "unknown"),
        (4, "unknown"),
        (5, "no"),
        (6, "host"),
    ]
    assert "srv-typo" in str(errors[0]) and "line 3" in str(errors[0])
    assert "already compromised on line 2" in errors[3].message


def test_an_empty_list_or_a_bad_state_is_an_error():
    [empty] = parse_host_list("\n# nothing\n", INDEX, "compromised")[1]
    assert empty.message == "the list names no host"
    assert parse_host_list("srv-ehr-01", INDEX, "gone")[1][0].message == "unknown state 'gone'"


def test_patterns():
    ids = INDEX.ids
    assert match_pattern("ws-arl-*", ids) == ["ws-arl-001", "ws-arl-002"]
    assert match_pattern("SRV-???-01", ids) == ["srv-ehr-01"]
    assert match_pattern("  ", ids) == []
    assert match_pattern("[!s]*", ids) == ["ws-arl-001", "ws-arl-002"]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300))
def test_any_text_gives_hosts_or_line_errors_never_an_exception(text):
    found, errors = parse_host_list(text, INDEX, "suspected")
    assert not (found and errors)
    assert set(found) <= set(INDEX.ids)
    assert all(e.line >= 0 and e.message for e in errors)
