"""The consent scopes of the release form. Data, not code: later lines are added the same way."""

from django.db import migrations

SCOPES = [
    dict(
        code="publication",
        position=10,
        name_en="Publication (editorial and commercial use of the image)",
        name_ja="掲載（画像の編集・商用利用）",
        description_en="The image may be published and licensed for editorial and commercial use.",
        description_ja="画像を掲載し、編集・商用目的で利用許諾することに同意します。",
        is_ai_use=False,
        is_biometric=False,
    ),
    dict(
        code="ai_training",
        position=20,
        name_en="AI / machine-learning training",
        name_ja="AI・機械学習の学習への利用",
        description_en="The image may be used to train and evaluate machine-learning models.",
        description_ja="画像を機械学習モデルの学習・評価に利用することに同意します。",
        is_ai_use=True,
        is_biometric=False,
    ),
    dict(
        code="biometric",
        position=30,
        name_en="Biometric processing (face data for machine learning)",
        name_ja="生体データ（顔の特徴）の処理",
        description_en="Features of the face may be measured and processed as biometric data for machine learning.",
        description_ja="顔の特徴を生体データとして測定・処理し、機械学習に利用することに同意します。",
        is_ai_use=True,
        is_biometric=True,
    ),
    dict(
        code="unique_identification",
        position=40,
        name_en="Unique identification (training systems that identify people)",
        name_ja="個人識別（人物を識別するシステムの学習）",
        description_en="The image may be used to train systems that recognise or identify individual people.",
        description_ja="個人を認識・識別するシステムの学習に画像を利用することに同意します。",
        is_ai_use=True,
        is_biometric=True,
    ),
]


def add_scopes(apps, schema_editor):
    ConsentScope = apps.get_model("licensing", "ConsentScope")
    for scope in SCOPES:
        ConsentScope.objects.update_or_create(code=scope["code"], defaults=scope)


def remove_scopes(apps, schema_editor):
    ConsentScope = apps.get_model("licensing", "ConsentScope")
    ConsentScope.objects.filter(code__in=[s["code"] for s in SCOPES], releases__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("licensing", "0001_initial")]

    operations = [migrations.RunPython(add_scopes, remove_scopes)]
