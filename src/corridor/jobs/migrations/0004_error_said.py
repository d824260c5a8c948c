from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0003_answer_said"),
    ]

    operations = [
        migrations.AddField(
            model_name="job",
            name="error_said",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
