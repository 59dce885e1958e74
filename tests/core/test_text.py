"""core.text: one stored form per address, a clear refusal otherwise; which characters a single
line refuses."""

import sys
import unicodedata

import pytest
from django.utils import translation

from premura.core import text


def test_an_address_written_two_ways_has_one_stored_form():
    assert text.normalise_email(" Anna.Colombo@CAFFÈ.it ") == "anna.colombo@xn--caff-8oa.it"
    assert text.normalise_email("ａｎｎａ＠ｅｘａｍｐｌｅ．ｉｔ") == "anna@example.it"
    assert text.normalise_email("anna.colombo@xn--caff-8oa.it") == "anna.colombo@xn--caff-8oa.it"


@pytest.mark.parametrize("value", ["", "anna", "anna@", "@example.it", "anna@@example.it", "a b@example.it"])
def test_what_is_not_an_address_is_refused_with_the_callers_error(value):
    class CallersError(ValueError):
        pass

    with translation.override("en"), pytest.raises(CallersError, match="is not an e-mail address"):
        text.normalise_email(value, error=CallersError)


def test_the_verdict_is_cached_per_text_but_never_for_text_longer_than_any_address():
    text.normalise_email("sara@example.it")
    hits = text._normalised_address.cache_info().hits
    assert text.normalise_email("sara@example.it") == "sara@example.it"
    assert text._normalised_address.cache_info().hits == hits + 1

    cached = text._normalised_address.cache_info().currsize
    huge = "a" * 1_000_000 + "@example.it"
    with pytest.raises(text.InvalidText):
        text.normalise_email(huge)
    assert text._normalised_address.cache_info().currsize == cached
    longest = "a" * 64 + "@" + ".".join(["b" * 60] * 3) + "." + "c" * 3 + ".it"
    assert len(longest) == 254
    assert text.normalise_email(longest) == longest


def test_the_forbidden_characters_are_exactly_the_control_and_separator_categories():
    """`is_single_line` and `one_line` use one pattern instead of asking unicodedata for each
    character: it must name every Cc, Zl and Zp character and nothing else."""
    forbidden = {
        chr(code)
        for code in range(sys.maxunicode + 1)
        if unicodedata.category(chr(code)) in {"Cc", "Zl", "Zp"}
    }
    assert {chr(code) for code in range(0x3000) if not text.is_single_line(chr(code))} == forbidden
    assert text.one_line("Partita\x00 da\r\nBologna\u2028\u200d") == "Partita da Bologna \u200d"
