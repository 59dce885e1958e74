"""Text search keeps the cases with the newest matching messages when there are more than it returns."""

from premura.conversations.search import case_ids_matching_text
from tests.factories.conversations import make_case


def test_text_search_keeps_the_cases_with_the_newest_matches(customer):
    cases = [make_case(customer, body=f"Il frullatore numero {k} è rotto") for k in range(4)]
    make_case(customer, body="Il pacco è in ritardo")
    assert case_ids_matching_text("frullatore", limit=2) == [cases[3].pk, cases[2].pk]
    assert case_ids_matching_text("frullatore") == [c.pk for c in reversed(cases)]
