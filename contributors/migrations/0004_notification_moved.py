# Notification now belongs to stockdata.notifications (same table); only the state changes here.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("contributors", "0003_royalties_payouts"),
        ("notifications", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Notification")],
            database_operations=[],
        ),
    ]
