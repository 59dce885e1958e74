"""Mailbox passwords were stored in clear: rename the columns, widen them for the tokens, and
encrypt what is there (channels.credentials). Reversible while SECRET_KEY is the same."""

from django.db import migrations, models

from premura.channels import credentials


def encrypt_passwords(apps, schema_editor):
    Mailbox = apps.get_model("channels", "Mailbox")
    for mailbox in Mailbox.objects.exclude(imap_password_encrypted="", smtp_password_encrypted=""):
        mailbox.imap_password_encrypted = credentials.encrypt(mailbox.imap_password_encrypted)
        mailbox.smtp_password_encrypted = credentials.encrypt(mailbox.smtp_password_encrypted)
        mailbox.save(update_fields=["imap_password_encrypted", "smtp_password_encrypted"])


def decrypt_passwords(apps, schema_editor):
    Mailbox = apps.get_model("channels", "Mailbox")
    for mailbox in Mailbox.objects.exclude(imap_password_encrypted="", smtp_password_encrypted=""):
        what = f"A password of {mailbox.address}"
        mailbox.imap_password_encrypted = credentials.decrypt(mailbox.imap_password_encrypted, what=what)
        mailbox.smtp_password_encrypted = credentials.decrypt(mailbox.smtp_password_encrypted, what=what)
        mailbox.save(update_fields=["imap_password_encrypted", "smtp_password_encrypted"])


class Migration(migrations.Migration):
    dependencies = [
        ("channels", "0008_imap_watched_until"),
    ]

    operations = [
        migrations.RenameField("mailbox", "imap_password", "imap_password_encrypted"),
        migrations.RenameField("mailbox", "smtp_password", "smtp_password_encrypted"),
        migrations.AlterField(
            model_name="mailbox",
            name="imap_password_encrypted",
            field=models.TextField(blank=True, editable=False, verbose_name="IMAP password (encrypted)"),
        ),
        migrations.AlterField(
            model_name="mailbox",
            name="smtp_password_encrypted",
            field=models.TextField(blank=True, editable=False, verbose_name="SMTP password (encrypted)"),
        ),
        migrations.RunPython(encrypt_passwords, decrypt_passwords, elidable=False),
    ]
