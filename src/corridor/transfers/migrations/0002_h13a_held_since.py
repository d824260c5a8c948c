# The hold's beginning as entered, and the never-assigned "proposed" status removed.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("transfers", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="trip",
            name="held_since",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="trip",
            name="status",
            field=models.CharField(
                choices=[
                    ("requested", "requested"),
                    ("approved", "approved"),
                    ("denied", "denied"),
                    ("cancelled", "cancelled"),
                    ("departed", "departed"),
                    ("returned", "returned"),
                ],
                default="requested",
                max_length=16,
            ),
        ),
    ]
