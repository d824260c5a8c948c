# The keys of gate steps sent from a phone's outbox: each applied once.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("transfers", "0003_merge_held_since_episodes"),
    ]

    operations = [
        migrations.CreateModel(
            name="GateTap",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("key", models.UUIDField(help_text="given by the phone when the step was tapped", unique=True)),
                ("step", models.CharField(help_text="the gate transition, e.g. gate_arrived", max_length=32)),
                (
                    "seqs",
                    models.JSONField(
                        help_text="the ledger entries the tap became (a gate arrival may record the departure)"
                    ),
                ),
                ("tapped_at", models.DateTimeField(help_text="the phone's clock when the step was tapped")),
                ("received_at", models.DateTimeField(help_text="the server's clock when the tap was applied")),
                ("recorded_by", models.CharField(max_length=150)),
                (
                    "trip",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="taps", to="transfers.trip"
                    ),
                ),
            ],
            options={
                "ordering": ["received_at", "id"],
            },
        ),
    ]
