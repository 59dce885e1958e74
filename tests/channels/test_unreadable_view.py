"""The "could not read" list, the raw download and the links to them (channels.views)."""

import pytest
from django.urls import reverse

from premura.channels import ingest
from premura.channels.inbound import accept_inbound
from premura.channels.models import InboundEmail, InboundState, Mailbox
from premura.console.templatetags.console import unreadable_badge

GARBAGE = b"\x00\xff\xfe garbage \x81\x82 not a mail at all\r\n"
ERROR = "no headers: not an e-mail message"
GOOD = (
    b"From: Anna Colombo <anna.colombo@example.it>\r\n"
    b"To: assistenza@bottega.example\r\n"
    b"Subject: Ordine 10482 non arrivato\r\n"
    b"Message-ID: <ordine-10482@example.it>\r\n"
    b"Date: Wed, 02 Dec 2026 09:00:00 +0100\r\n"
    b"Content-Type: text/plain; charset=iso-8859-1\r\n"
    b"\r\n"
    b"Buongiorno, il pacco non \xe8 ancora arrivato.\r\n"
)


@pytest.fixture
def mailbox(db, team):
    return Mailbox.objects.create(address="assistenza@bottega.example", default_team=team)


def stored(mailbox: Mailbox, raw: bytes, sender: str = "mittente@example.it") -> InboundEmail:
    """A message as the LMTP listener stores it, then processed like the worker does."""
    row, created = accept_inbound(mailbox, raw, source="lmtp", envelope_sender=sender)
    assert created
    ingest.process_inbound(row.pk)
    row.refresh_from_db()
    return row


def test_a_garbage_message_is_listed_with_its_error_size_sender_and_download(client, agent, mailbox):
    row = stored(mailbox, GARBAGE)
    assert (row.state, row.error) == (InboundState.UNREADABLE, ERROR)
    client.force_login(agent.user)
    response = client.get(reverse("mail:unreadable"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page = response.content.decode()
    assert f'<td class="error">{ERROR}</td>' in page
    assert "<td>assistenza@bottega.example</td>" in page
    assert "<td>mittente@example.it</td>" in page
    assert f"<td>{len(GARBAGE)}\xa0bytes</td>" in page
    assert f'href="/console/mail/{row.pk}/raw/" download>Download the original</a>' in page
    assert "Messages that could not be read" in page


def test_the_list_is_in_italian(client, agent, mailbox):
    stored(mailbox, GARBAGE)
    client.force_login(agent.user)
    page = client.get(reverse("mail:unreadable"), HTTP_ACCEPT_LANGUAGE="it").content.decode()
    assert "Messaggi che non è stato possibile leggere" in page
    assert "Scarica l’originale" in page
    assert "Non leggibili" in page  # the header link


def test_the_list_shows_only_unreadable_rows_newest_first_25_a_page(client, agent, mailbox, settings):
    settings.INBOX_PAGE_SIZE = 2
    readable = stored(mailbox, GOOD, sender="anna.colombo@example.it")
    assert readable.state == InboundState.PROCESSED
    rows = [stored(mailbox, GARBAGE + str(n).encode()) for n in range(3)]
    client.force_login(agent.user)
    first = client.get(reverse("mail:unreadable"))
    assert [e.pk for e in first.context["emails"]] == [rows[2].pk, rows[1].pk]
    assert first.context["has_next"] is True
    second = client.get(reverse("mail:unreadable"), {"page": "2"})
    assert [e.pk for e in second.context["emails"]] == [rows[0].pk]
    assert second.context["has_next"] is False
    # A page that cannot be valid is the first one.
    assert client.get(reverse("mail:unreadable"), {"page": "-1"}).context["page"] == 1


def test_the_raw_download_is_the_exact_stored_bytes(client, agent, mailbox):
    row = stored(mailbox, GARBAGE)
    client.force_login(agent.user)
    response = client.get(reverse("mail:raw", args=[row.pk]))
    assert response.status_code == 200
    assert response.content == GARBAGE
    assert response["Content-Type"] == "message/rfc822"
    assert response["Content-Disposition"] == f'attachment; filename="message-{row.pk}.eml"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]


def test_a_readable_message_downloads_byte_identical_too(client, agent, mailbox):
    row = stored(mailbox, GOOD, sender="anna.colombo@example.it")
    client.force_login(agent.user)
    assert client.get(reverse("mail:raw", args=[row.pk])).content == GOOD


def test_an_unknown_id_is_404(client, agent, mailbox):
    row = stored(mailbox, GARBAGE)
    client.force_login(agent.user)
    assert client.get(reverse("mail:raw", args=[row.pk + 1])).status_code == 404


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, mailbox):
    row = stored(mailbox, GARBAGE)
    for url in (reverse("mail:raw", args=[row.pk]), reverse("mail:unreadable")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('console:login')}?next={url}"


def test_a_logged_in_user_who_is_not_an_agent_is_refused(client, mailbox, django_user_model):
    row = stored(mailbox, GARBAGE)
    client.force_login(django_user_model.objects.create_user("cliente", password="x"))
    response = client.get(reverse("mail:raw", args=[row.pk]))
    assert response.status_code == 403
    assert GARBAGE not in response.content
    assert client.get(reverse("mail:unreadable")).status_code == 403


def test_the_header_badge_appears_only_when_a_message_could_not_be_read(client, agent, mailbox):
    client.force_login(agent.user)
    stored(mailbox, GOOD, sender="anna.colombo@example.it")
    page = client.get(reverse("console:inbox"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert reverse("mail:unreadable") not in page
    assert "data-unreadable-count" not in page
    stored(mailbox, GARBAGE)
    stored(mailbox, GARBAGE + b"2")
    page = client.get(reverse("console:inbox"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert (
        f'<a href="{reverse("mail:unreadable")}" class="unreadable-link">Could not read '
        '<span class="badge" data-unreadable-count>2</span></a>'
    ) in page


def test_the_badge_stops_counting_at_99(mailbox):
    InboundEmail.objects.bulk_create(
        InboundEmail(mailbox=mailbox, raw=b"x", sha256="0" * 64, source="lmtp", state="unreadable")
        for _ in range(99)
    )
    assert unreadable_badge() == "99"
    InboundEmail.objects.create(mailbox=mailbox, raw=b"x", sha256="0" * 64, source="lmtp", state="unreadable")
    assert unreadable_badge() == "99+"


def test_the_case_page_links_an_e_mail_message_to_its_original(client, agent, mailbox):
    row = stored(mailbox, GOOD, sender="anna.colombo@example.it")
    assert row.case_message is not None
    client.force_login(agent.user)
    page = client.get(reverse("console:case", args=[row.case_id]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'<a class="original" href="/console/mail/{row.pk}/raw/" download>original</a>' in page
    assert page.count('class="original"') == 1
    italian = client.get(reverse("console:case", args=[row.case_id]), HTTP_ACCEPT_LANGUAGE="it")
    assert f'href="/console/mail/{row.pk}/raw/" download>originale</a>' in italian.content.decode()
