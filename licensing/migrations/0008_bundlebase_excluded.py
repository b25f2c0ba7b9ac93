"""A bundle base is one per (version, edition, what is left out): photos whose consent was
withdrawn after the version was frozen are left out of bases built afterwards."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("licensing", "0007_consentscope_bit"),
    ]

    operations = [
        migrations.AddField(
            model_name="bundlebase",
            name="excluded",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="bundlebase",
            name="excluded_key",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.RemoveConstraint(
            model_name="bundlebase",
            name="bundle_base_unique",
        ),
        migrations.AddConstraint(
            model_name="bundlebase",
            constraint=models.UniqueConstraint(
                fields=("version", "edition", "excluded_key"), name="bundle_base_unique_excluded"
            ),
        ),
    ]
