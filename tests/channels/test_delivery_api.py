"""Where a reply's e-mail stands, in the API: the `delivery` of a case message and of an outbound
e-mail found by its Message-ID, through queued, retry_wait, failed and sent against a real SMTP
peer (aiosmtpd on 127.0.0.1). Time moves with clock.frozen_at, never by sleeping."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext

from premura.channels import outbox
from premura.channels.models import OutboundEmail, OutboundStatus
from premura.conversations import services
from premura.core import clock
from tests.api.conftest import client_for
from tests.factories.conversations import make_case


def _after(row: OutboundEmail):
    row.refresh_from_db()
    return clock.frozen_at(row.next_attempt_at + datetime.timedelta(seconds=1))


def _as_json(moment: datetime.datetime) -> datetime.datetime:
    """A time as the API writes it: to the millisecond."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _delivery_of(api, case, message_id: int) -> dict | None:
    """The message's delivery as each endpoint gives it: they must agree."""
    [listed] = [
        m for m in api.get(f"/api/v1/cases/{case.pk}/messages").json()["items"] if m["id"] == message_id
    ]
    [detailed] = [m for m in api.get(f"/api/v1/cases/{case.pk}").json()["messages"] if m["id"] == message_id]
    assert listed["delivery"] == detailed["delivery"]
    return listed["delivery"]


def test_a_reply_s_delivery_goes_from_queued_through_a_retry_to_failed_with_the_reason(
    agent, customer, smtp_mailbox, peer
):
    case = make_case(customer)
    api = client_for(agent.user)
    reply = api.post(f"/api/v1/cases/{case.pk}/messages", {"body": "Il pacco arriva domani."}).json()
    # The doorbell rings on commit, which this test's transaction never reaches: nothing tried yet.
    assert reply["delivery"] == {
        "status": "queued",
        "to": "anna.colombo@example.it",
        "reason": "",
        "attempts": 0,
        "sent_at": None,
        "retry_at": None,
    }
    assert _delivery_of(api, case, reply["id"]) == reply["delivery"]

    row = OutboundEmail.objects.get()
    peer.recorder.data_answer = "451 4.3.0 Try again later"
    assert outbox.deliver(row.pk) == OutboundStatus.RETRY_WAIT
    row.refresh_from_db()
    waiting = _delivery_of(api, case, reply["id"])
    assert (waiting["status"], waiting["reason"], waiting["attempts"], waiting["sent_at"]) == (
        "retry_wait",
        "451 4.3.0 Try again later",
        1,
        None,
    )
    assert datetime.datetime.fromisoformat(waiting["retry_at"]) == _as_json(row.next_attempt_at)

    peer.recorder.data_answer = "554 5.7.1 Rejected as spam"
    with _after(row):
        assert outbox.deliver(row.pk) == OutboundStatus.FAILED
    failed = _delivery_of(api, case, reply["id"])
    assert (failed["status"], failed["reason"], failed["attempts"], failed["retry_at"]) == (
        "failed",
        "554 5.7.1 Rejected as spam",
        2,
        None,
    )
    # Found by its Message-ID, our e-mail says the same.
    [ours] = api.get("/api/v1/messages", {"message_id": row.message_id_header}).json()
    assert (ours["state"], ours["delivery"]) == ("failed", failed)
    assert peer.received == []


def test_a_sent_reply_says_when_and_other_messages_have_no_delivery(agent, customer, smtp_mailbox, peer):
    case = make_case(customer)
    services.add_note(case, agent, "Verificare col magazzino")
    api = client_for(agent.user)
    reply = api.post(f"/api/v1/cases/{case.pk}/messages", {"body": "Il pacco arriva domani."}).json()
    row = OutboundEmail.objects.get()
    assert outbox.deliver(row.pk) == OutboundStatus.SENT
    row.refresh_from_db()
    messages = api.get(f"/api/v1/cases/{case.pk}/messages").json()["items"]
    assert [(m["direction"], m["is_internal"], m["delivery"] is None) for m in messages] == [
        ("inbound", False, True),
        ("outbound", True, True),
        ("outbound", False, False),
    ]
    sent = messages[-1]["delivery"]
    assert (sent["status"], sent["reason"], sent["attempts"], sent["retry_at"]) == ("sent", "", 1, None)
    assert datetime.datetime.fromisoformat(sent["sent_at"]) == _as_json(row.sent_at)
    assert messages[-1]["id"] == reply["id"]
    assert len(peer.received) == 1


def test_the_message_list_reads_the_deliveries_in_one_query(agent, customer, smtp_mailbox):
    case = make_case(customer)
    api = client_for(agent.user)

    def queries_to_list() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api.get(f"/api/v1/cases/{case.pk}/messages").status_code == 200
            assert api.get(f"/api/v1/cases/{case.pk}").status_code == 200
        return len(queries)

    api.post(f"/api/v1/cases/{case.pk}/messages", {"body": "Prima risposta."})
    one_reply = queries_to_list()
    for n in range(4):
        api.post(f"/api/v1/cases/{case.pk}/messages", {"body": f"Risposta {n}."})
    assert OutboundEmail.objects.count() == 5
    assert queries_to_list() == one_reply
