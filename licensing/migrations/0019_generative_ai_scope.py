"""A line of its own for generative AI training (IPTC's DMI-PROHIBITED-GENAIMLTRAINING, CAWG's
``cawg.ai_generative_training``). Releases signed before it do not hold it: nobody ticked it.
Photos without people hold every scope, so their stored masks gain its bit."""

from django.db import migrations
from django.db.models import F

GENERATIVE = dict(
    code="generative_ai_training",
    position=25,
    name_en="Generative AI training (models that create new images or text)",
    name_ja="生成AIの学習への利用（新しい画像や文章を作るモデル）",
    description_en=(
        "The image may be used to train generative models, which produce new images, video or text "
        "and may learn to draw faces like yours."
    ),
    description_ja="画像を、新しい画像・動画・文章を生成するモデルの学習に利用することに同意します（顔を描くことを学習する場合があります）。",
    is_ai_use=True,
    is_biometric=False,
)


def add_scope(apps, schema_editor):
    ConsentScope = apps.get_model("licensing", "ConsentScope")
    Photo = apps.get_model("catalog", "Photo")
    if ConsentScope.objects.filter(code=GENERATIVE["code"]).exists():
        return
    used = set(ConsentScope.objects.values_list("bit", flat=True))
    bit = min(b for b in range(63) if b not in used)
    ConsentScope.objects.create(bit=bit, **GENERATIVE)
    Photo.objects.filter(no_people=True).update(scope_mask=F("scope_mask").bitor(1 << bit))


def remove_scope(apps, schema_editor):
    ConsentScope = apps.get_model("licensing", "ConsentScope")
    Photo = apps.get_model("catalog", "Photo")
    scope = ConsentScope.objects.filter(code=GENERATIVE["code"], releases__isnull=True).first()
    if scope is not None:
        Photo.objects.filter(no_people=True).update(scope_mask=F("scope_mask").bitand(~(1 << scope.bit)))
        scope.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("licensing", "0018_bundle_parts"),
        ("catalog", "0007_annotation_records"),
    ]

    operations = [migrations.RunPython(add_scope, remove_scope)]
