from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("shipping", "0007_delay_risk"),
    ]

    operations = [
        migrations.AddField(
            model_name="delaymodel",
            name="ahead_threshold",
            field=models.FloatField(default=0.5, verbose_name="threshold ahead"),
        ),
    ]
