"""`premura sla_promise`: what a message received at an instant would be promised.

For staff checking a complaint ("what did we promise?") and for tests: the policy the rules
choose, every deadline, and the sentence the customer reads. With `--json` the last line is one
object: first_response_due, next_response_due, resolution_due (ISO 8601 with the calendar's
offset, or null), policy (its name, or null), promise (the sentence, or null).
"""

import argparse
import datetime
import json

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from premura.agents.models import Team
from premura.conversations.models import Priority
from premura.core.exceptions import DomainError
from premura.core.models import Channel
from premura.customers.models import Language, Tier
from premura.sla import services
from premura.sla.display import promise_sentence


def _instant(value: str) -> datetime.datetime:
    try:
        return datetime.datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 instant: {value!r}") from None


class Command(BaseCommand):
    help = "Show the SLA policy and deadlines a message received at an instant would get."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--received",
            required=True,
            type=_instant,
            help="when the message arrived, with its offset: 2026-12-05T23:48:00+01:00",
        )
        parser.add_argument("--channel", default=Channel.EMAIL, choices=Channel.values)
        parser.add_argument("--priority", default=Priority.NORMAL, choices=Priority.values)
        parser.add_argument("--tier", default=Tier.STANDARD, choices=Tier.values)
        parser.add_argument("--team", help="the case's team, by name or slug")
        parser.add_argument("--language", default=Language.ITALIAN, choices=Language.values)
        parser.add_argument("--json", action="store_true", help="end with one line of JSON")

    def handle(self, *args, **options) -> None:
        team_id = None
        if options["team"]:
            team = Team.objects.filter(Q(name=options["team"]) | Q(slug=options["team"])).first()
            if team is None:
                raise CommandError(f"--team: no team named {options['team']!r}")
            team_id = team.pk
        try:
            quote = services.quote(
                received_at=options["received"],
                channel=options["channel"],
                priority=options["priority"],
                tier=options["tier"],
                team_id=team_id,
            )
        except DomainError as error:
            raise CommandError(str(error)) from error
        promise = quote.promise
        sentence = promise_sentence(promise, options["language"], now=quote.received_at) if promise else None
        result = {
            "received": quote.received_at.isoformat(),
            "policy": quote.policy.name if quote.policy else None,
            "first_response_due": _iso(quote.first_response_due),
            "next_response_due": _iso(quote.next_response_due),
            "resolution_due": _iso(quote.resolution_due),
            "promise": sentence,
        }
        if quote.policy is None:
            self.stdout.write("No SLA policy applies: no deadline, no promised time.")
        else:
            self.stdout.write(f"Policy:         {quote.policy.name} (calendar {quote.policy.calendar.name})")
            self.stdout.write(f"First response: {result['first_response_due'] or '-'}")
            self.stdout.write(f"Next response:  {result['next_response_due'] or '-'}")
            self.stdout.write(f"Resolution:     {result['resolution_due'] or '-'}")
            self.stdout.write(f"The customer reads: {sentence or '-'}")
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))


def _iso(instant: datetime.datetime | None) -> str | None:
    return instant.isoformat() if instant else None
