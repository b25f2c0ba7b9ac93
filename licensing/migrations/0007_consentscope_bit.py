from django.db import migrations, models


def assign_bits(apps, schema_editor):
    ConsentScope = apps.get_model("licensing", "ConsentScope")
    for bit, scope in enumerate(ConsentScope.objects.order_by("pk")):
        scope.bit = bit
        scope.save(update_fields=["bit"])


class Migration(migrations.Migration):
    """Each consent scope owns one bit of Photo.scope_mask."""

    dependencies = [
        ("licensing", "0006_bundle_build_lease"),
    ]

    operations = [
        migrations.AddField(
            model_name="consentscope",
            name="bit",
            field=models.PositiveSmallIntegerField(null=True, editable=False, verbose_name="bit in the photos' consent mask"),
        ),
        migrations.RunPython(assign_bits, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="consentscope",
            name="bit",
            field=models.PositiveSmallIntegerField(editable=False, unique=True, verbose_name="bit in the photos' consent mask"),
        ),
        migrations.AddConstraint(
            model_name="consentscope",
            constraint=models.CheckConstraint(condition=models.Q(bit__lte=62), name="consent_scope_bit_fits_mask"),
        ),
    ]
