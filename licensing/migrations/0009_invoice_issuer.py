from django.db import migrations, models

# The issuer every invoice issued before this field existed was printed with.
EARLIER_ISSUER = {
    "name_ja": "Stockdata株式会社",
    "name_en": "Stockdata K.K.",
    "address_ja": "東京都千代田区丸の内1-1-1",
    "address_en": "1-1-1 Marunouchi, Chiyoda-ku, Tokyo",
    "email": "",
    "phone": "",
}


def record_earlier_issuer(apps, schema_editor):
    apps.get_model("licensing", "Invoice").objects.update(issuer=EARLIER_ISSUER)


class Migration(migrations.Migration):
    dependencies = [
        ("licensing", "0008_bundlebase_excluded"),
    ]

    operations = [
        migrations.AddField(
            model_name="invoice",
            name="issuer",
            field=models.JSONField(default=dict, help_text="Names, address and contacts of the issuer at issue"),
        ),
        migrations.RunPython(record_earlier_issuer, migrations.RunPython.noop),
    ]
