"""Joins two migrations written side by side: episodes of care, and identities bound to their patient."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("register", "0003_h13b_episodes_companions"),
        ("register", "0003_h14b_bind_identity"),
    ]
    operations = []
