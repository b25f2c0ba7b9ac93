"""A photo's title in Japanese gets its own field.

Titles written as "English / 日本語" in the one field (the demo data did, and so did
contributors who wanted both) are split: the part with Japanese script becomes ``title_ja``.
Reversing joins them back the same way, so nothing is lost either way.
"""

import re

from django.db import migrations, models

_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]")
_SEPARATOR = " / "


def split_bilingual_title(title: str) -> tuple[str, str]:
    """ "Commuter in a mask / マスクの通勤者" -> ("Commuter in a mask", "マスクの通勤者"); a title that is
    not one English and one Japanese half stays whole ("東京タワー" -> ("", "東京タワー"))."""
    left, sep, right = title.partition(_SEPARATOR)
    if sep and left.strip() and right.strip() and not _JAPANESE.search(left) and _JAPANESE.search(right):
        return left.strip(), right.strip()
    if _JAPANESE.search(title) and not re.search(r"[A-Za-z]{3}", title):
        return "", title.strip()
    return title, ""


def split_titles(apps, schema_editor):
    Photo = apps.get_model("catalog", "Photo")
    changed = []
    for photo in Photo.objects.exclude(title="").only("pk", "title", "title_ja").iterator(chunk_size=2000):
        english, japanese = split_bilingual_title(photo.title)
        if (english, japanese) != (photo.title, ""):
            photo.title, photo.title_ja = english, japanese
            changed.append(photo)
        if len(changed) >= 2000:
            Photo.objects.bulk_update(changed, ["title", "title_ja"])
            changed = []
    Photo.objects.bulk_update(changed, ["title", "title_ja"])


def join_titles(apps, schema_editor):
    Photo = apps.get_model("catalog", "Photo")
    changed = []
    for photo in Photo.objects.exclude(title_ja="").only("pk", "title", "title_ja").iterator(chunk_size=2000):
        photo.title = f"{photo.title}{_SEPARATOR}{photo.title_ja}"[:200] if photo.title else photo.title_ja
        changed.append(photo)
    Photo.objects.bulk_update(changed, ["title"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0009_photo_derived_public")]

    operations = [
        migrations.AlterField(
            model_name="photo",
            name="title",
            field=models.CharField(blank=True, max_length=200, verbose_name="title (English)"),
        ),
        migrations.AddField(
            model_name="photo",
            name="title_ja",
            field=models.CharField(blank=True, max_length=200, verbose_name="title (Japanese)"),
        ),
        migrations.RunPython(split_titles, join_titles, elidable=True),
    ]
