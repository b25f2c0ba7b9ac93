# The Notification model moved here from the contributors app; its table stays where it is.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contributors", "0003_royalties_payouts"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Notification",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("kind", models.CharField(max_length=40, verbose_name="kind")),
                        ("params", models.JSONField(blank=True, default=dict, verbose_name="details")),
                        ("url", models.CharField(blank=True, max_length=300, verbose_name="link")),
                        ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created")),
                        ("read_at", models.DateTimeField(blank=True, null=True, verbose_name="read")),
                        ("emailed_at", models.DateTimeField(blank=True, null=True, verbose_name="emailed")),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="notifications",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="user",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "notification",
                        "verbose_name_plural": "notifications",
                        "db_table": "contributors_notification",
                        "ordering": ["-created_at", "-id"],
                        "indexes": [models.Index(fields=["user", "read_at"], name="contributor_user_id_92d0d4_idx")],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
