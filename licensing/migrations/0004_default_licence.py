import datetime

from django.db import migrations

BODY_EN = """Stockdata Dataset Licence for AI Training, version 1.0

1. Parties. This licence is granted by Stockdata to the buyer organisation named on the order (the "Licensee").
2. Grant. The Licensee may use the images, annotations and metadata of the dataset version named on the order to train, validate and test machine-learning models, internally, for the declared intended use.
3. Consent scopes. Each image is licensed only for the consent scopes listed for it in the bundle's metadata. Uses outside those scopes (for example biometric identification when the scope "unique identification" is not listed) are not licensed.
4. Prohibited uses. The Licensee must not: redistribute, sell or publish the images or the dataset; attempt to re-identify, locate or contact any person shown; use the data for surveillance of individuals, for decisions about a person's access to employment, credit, housing, education or public services, or for any unlawful discrimination; create deceptive synthetic media of the persons shown.
5. Withdrawal of consent. A person may withdraw consent. Stockdata will notify the Licensee of affected file names; the Licensee must delete those images (and, where technically feasible, stop using them for new training) within 30 days of the notice.
6. Personal data. The dataset contains personal data (facial images). The Licensee acts as an independent controller, must keep the data secure, and must comply with applicable data-protection law, including Japan's Act on the Protection of Personal Information.
7. Models. Trained model weights are the Licensee's, provided they cannot reproduce recognisable images of the persons shown.
8. Term. The licence is perpetual for the dataset version bought, subject to sections 4 and 5.
9. Law. Japanese law governs this licence; the Tokyo District Court has exclusive jurisdiction.
"""

BODY_JA = """Stockdata AI学習用データセット利用許諾 第1.0版

1. 当事者 本許諾は、Stockdata が注文書に記載された購入者組織（以下「利用者」）に対して付与するものです。
2. 許諾内容 利用者は、注文書に記載されたデータセットのバージョンに含まれる画像・アノテーション・メタデータを、申告した利用目的のために、社内で機械学習モデルの学習・検証・評価に利用できます。
3. 同意範囲 各画像は、バンドルのメタデータに記載された同意範囲に限り利用が許諾されます。範囲外の利用（例:「個人識別」が記載されていない画像を用いた生体識別）は許諾されません。
4. 禁止事項 利用者は次の行為をしてはなりません: 画像またはデータセットの再配布・販売・公開、写っている人物の再識別・所在特定・接触の試み、個人の監視、雇用・与信・住宅・教育・公共サービスの利用可否に関する判断、違法な差別への利用、写っている人物の欺瞞的な合成メディアの作成。
5. 同意の撤回 被写体は同意を撤回できます。Stockdata は該当するファイル名を利用者に通知し、利用者は通知から30日以内に該当画像を削除し（技術的に可能な範囲で、以後の新たな学習への利用を停止し）なければなりません。
6. 個人データ データセットには個人データ（顔画像）が含まれます。利用者は独立した取扱事業者として、安全管理を行い、個人情報の保護に関する法律その他の法令を遵守しなければなりません。
7. モデル 学習済みモデルの重みは、写っている人物の判別可能な画像を再現できない限り、利用者に帰属します。
8. 期間 本許諾は購入したデータセットのバージョンについて無期限とします（第4条および第5条に従います）。
9. 準拠法 本許諾は日本法に準拠し、東京地方裁判所を専属的合意管轄裁判所とします。
"""


def add_licence(apps, schema_editor):
    LicenceTerms = apps.get_model("licensing", "LicenceTerms")
    LicenceTerms.objects.get_or_create(
        code="sd-ai-training-1.0",
        defaults=dict(
            title_en="Stockdata Dataset Licence for AI Training 1.0",
            title_ja="Stockdata AI学習用データセット利用許諾 1.0",
            body_en=BODY_EN,
            body_ja=BODY_JA,
            effective_from=datetime.date(2026, 1, 1),
        ),
    )


class Migration(migrations.Migration):
    dependencies = [("licensing", "0003_licenceterms")]
    operations = [migrations.RunPython(add_licence, migrations.RunPython.noop)]
