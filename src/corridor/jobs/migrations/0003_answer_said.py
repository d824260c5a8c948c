from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0002_progress_said"),
    ]

    operations = [
        migrations.AddField(
            model_name="job",
            name="answer_said",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
