from django.db import migrations, models


class Migration(migrations.Migration):
    """Photo.scope_mask, and the indexes a curation count needs.

    The M2M table ``catalog_photo_tags`` has Django's unique (photo_id, tag_id) index; a
    tag filter reads it the other way round, so (tag_id, photo_id) gets its own index.
    Masks of existing photos are filled by ``manage.py scope_masks_refresh`` (also nightly).
    """

    dependencies = [
        ("catalog", "0003_dataset_licence_dataset_restricted"),
    ]

    operations = [
        migrations.AddField(
            model_name="photo",
            name="scope_mask",
            field=models.BigIntegerField(default=0, editable=False, verbose_name="consent scopes held (bit mask)"),
        ),
        migrations.RunSQL(
            "CREATE INDEX catalog_photo_tags_tag_photo ON catalog_photo_tags (tag_id, photo_id)",
            "DROP INDEX catalog_photo_tags_tag_photo",
        ),
        migrations.AddIndex(
            model_name="photo",
            index=models.Index(
                condition=models.Q(("processing", "ready"), ("status", "approved")),
                fields=["id"],
                include=["scope_mask"],
                name="photo_eligible",
            ),
        ),
        migrations.AddIndex(
            model_name="photosubject",
            index=models.Index(condition=models.Q(("mask", True)), fields=["photo"], name="subject_masked"),
        ),
    ]
