"""``premura create_api_token <username> [--name NAME]``: issue an API token and print it once."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from premura.agents.models import Agent
from premura.api.models import ApiToken


class Command(BaseCommand):
    help = "Create an API token for an agent's user and print it. The token is not stored: copy it now."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="What the token is for (default: 'cli').")

    def handle(self, *args, username: str, name: str, **options) -> None:
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None
        if not Agent.objects.filter(user=user).exists():
            raise CommandError(f"{username!r} is not an agent: the API accepts only agents' tokens.")
        if not user.is_active:
            raise CommandError(f"{username!r} is inactive.")
        _token, raw = ApiToken.issue(user, name or "cli")
        self.stdout.write(raw)
