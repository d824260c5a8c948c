"""Site membership. On an install with exactly one site, every existing account gets that site: until now
everyone worked there, and taking it away would lock the camp out at the upgrade. With several sites
nobody gets any until an admin assigns them: the migration cannot know who works where, and guessing
"all of them" is exactly the leak sites are meant to stop (docs/roles.md)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def one_site_for_everyone(apps, schema_editor):
    site_model = apps.get_model("register", "Site")
    if site_model.objects.count() != 1:
        return
    site = site_model.objects.get()
    user_model = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    membership = apps.get_model("accounts", "SiteMembership")
    membership.objects.bulk_create(
        [membership(user_id=pk, site_id=site.pk) for pk in user_model.objects.values_list("pk", flat=True)]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_h14a_accounts"),
        ("register", "0004_merge_episodes_identity_binding"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="SiteMembership",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "site",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="memberships", to="register.site"
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="site_memberships",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["site__code"],
                "constraints": [models.UniqueConstraint(fields=("user", "site"), name="accounts_site_membership_once")],
            },
        ),
        migrations.RunPython(one_site_for_everyone, migrations.RunPython.noop),
    ]
