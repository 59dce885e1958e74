from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("shipping", "0008_delay_model_ahead_threshold"),
    ]

    operations = [
        migrations.AddField(
            model_name="delaymodel",
            name="ahead_parameters",
            field=models.JSONField(blank=True, default=dict, verbose_name="ahead classifier"),
        ),
    ]
