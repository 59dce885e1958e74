"""`premura rotate_secrets`: after SECRET_KEY changes (the old key listed in SECRET_KEY_FALLBACKS),
store every secret again under the new key, so the old one can be dropped (decision 0012).

It lives in channels, the highest app holding secrets (mailbox passwords), which may reach the
ones below it (tracking sources' webhook secrets, shop connections' tokens and secrets).
"""

from django.core.management.base import BaseCommand, CommandError

from premura.channels import credentials
from premura.channels.models import Mailbox
from premura.commerce.models import CONNECTION_SECRET_PURPOSE, ShopConnection
from premura.core.encryption import rotate_column
from premura.shipping.models import SECRET_PURPOSE, TrackingSource


class Command(BaseCommand):
    help = (
        "Encrypt every stored secret (mailbox passwords, tracking and shop webhook secrets, shop "
        "access tokens) again under the "
        "current SECRET_KEY, so old keys can leave SECRET_KEY_FALLBACKS."
    )

    def handle(self, *args, **options) -> None:
        columns = [
            ("IMAP passwords", Mailbox.objects.all(), "imap_password_encrypted", credentials.PURPOSE),
            ("SMTP passwords", Mailbox.objects.all(), "smtp_password_encrypted", credentials.PURPOSE),
            ("tracking webhook secrets", TrackingSource.objects.all(), "secret_encrypted", SECRET_PURPOSE),
            (
                "shop access tokens",
                ShopConnection.objects.all(),
                "access_token_encrypted",
                CONNECTION_SECRET_PURPOSE,
            ),
            (
                "shop webhook secrets",
                ShopConnection.objects.all(),
                "webhook_secret_encrypted",
                CONNECTION_SECRET_PURPOSE,
            ),
        ]
        unreadable = []
        for label, queryset, column, purpose in columns:
            result = rotate_column(queryset, column, purpose=purpose)
            self.stdout.write(f"{label}: {result.rotated} encrypted again")
            unreadable += [f"{label[:-1]} of {name}" for name in result.unreadable]
        if unreadable:
            raise CommandError(
                "No configured key opens these (list the key they were stored with in "
                "SECRET_KEY_FALLBACKS and run again, or type them again in the admin): "
                + "; ".join(unreadable)
            )
