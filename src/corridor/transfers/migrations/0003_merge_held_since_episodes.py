"""Joins two migrations written side by side: the moment a hold began, and episodes of care with companions."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("transfers", "0002_h13a_held_since"),
        ("transfers", "0002_h13b_episodes_companions"),
    ]
    operations = []
