"""Case.phase replaces the is_open / is_waiting booleans (decision 0001: SQLite cannot use an index
for Django's bare `WHERE "is_open"`); "All cases" gets its index on last activity; and
Case.follow_up_of links a follow-up to its closed case.
"""

import django.db.models.deletion
from django.db import migrations, models

PHASES = {
    "new": "open",
    "open": "open",
    "waiting_on_customer": "waiting",
    "waiting_on_carrier": "waiting",
    "waiting_on_bank": "waiting",
    "solved": "done",
    "closed": "done",
}


def fill_phases(apps, schema_editor):
    Case = apps.get_model("conversations", "Case")
    for status, phase in PHASES.items():
        Case.objects.filter(status=status).update(phase=phase)


class Migration(migrations.Migration):
    dependencies = [
        ("agents", "0001_initial"),
        ("commerce", "0001_initial"),
        ("conversations", "0002_message_search"),
        ("customers", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="phase",
            field=models.CharField(
                choices=[
                    ("open", "Waiting for us"),
                    ("waiting", "Waiting on someone else"),
                    ("done", "Solved or closed"),
                ],
                default="open",
                editable=False,
                max_length=8,
                verbose_name="phase",
            ),
        ),
        migrations.RunPython(fill_phases, migrations.RunPython.noop),
        migrations.RemoveIndex(model_name="case", name="case_open_idx"),
        migrations.RemoveIndex(model_name="case", name="case_waiting_idx"),
        migrations.RemoveIndex(model_name="case", name="case_owner_open_idx"),
        migrations.RemoveIndex(model_name="case", name="case_team_open_idx"),
        migrations.RemoveField(model_name="case", name="is_open"),
        migrations.RemoveField(model_name="case", name="is_waiting"),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["last_activity_at"], name="case_activity_idx"),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["phase", "last_activity_at"], name="case_phase_idx"),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["owner", "phase", "last_activity_at"], name="case_owner_phase_idx"),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["team", "phase", "last_activity_at"], name="case_team_phase_idx"),
        ),
        migrations.AddField(
            model_name="case",
            name="follow_up_of",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="follow_ups",
                to="conversations.case",
                verbose_name="follow-up of",
            ),
        ),
    ]
