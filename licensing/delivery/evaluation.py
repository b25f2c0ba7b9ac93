"""The free evaluation pack: samples a signed-in buyer downloads to judge a dataset before paying.

Twenty watermarked previews of photos still consented, their boxes (annotated versions) scaled to
the previews, their metadata rows and the Croissant metadata, with LICENSE.txt naming the buyer under
the evaluation licence. The acceptance is recorded like a purchase licence (which text, when, from
where) on an :class:`EvaluationPack`, and every person in it gets a third-party provision record.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image

from catalog.models import Dataset
from catalog.storefront.pages import consent_scopes
from catalog.storefront.selectors import items_on_show
from licensing.commerce.models import LicenceTerms
from licensing.consent.models import ModelRelease, ProvisionRecord
from licensing.consent.services.provision import retain_until_for
from licensing.delivery import archive as core
from licensing.delivery.models import EvaluationPack
from licensing.delivery.services import version_info, version_items
from stockdata.accounts.models import Role
from stockdata.accounts.permissions import DOWNLOADING, has_any_org_role
from stockdata.errors import ApplicationError, ErrorCode
from stockdata.storage import public_storage

EVALUATION_SAMPLES = 20
EVALUATION_LICENCE_CODE = "sd-evaluation-1.0"
EVALUATION_LICENCE = {
    "title_en": "Stockdata Evaluation Licence 1.0",
    "title_ja": "Stockdata 評価用ライセンス 1.0",
    "body_en": (
        "1. The licensee named above may use this evaluation pack only to evaluate whether to license the "
        "dataset: viewing the samples, loading them with its tools and testing models on them.\n"
        "2. No training of any model on these samples, no redistribution, no attempt to identify or contact "
        "the people shown.\n"
        "3. The pack is provided free of charge and as is. Delete it when the evaluation ends, and at the latest "
        "30 days after Stockdata tells you that a person in it withdrew consent.\n"
        "4. Stockdata records this provision of personal data to you, as Japan's APPI requires.\n"
    ),
    "body_ja": (
        "1. 上記のライセンシーは、本評価パックをデータセットのライセンス取得を検討する目的（サンプルの閲覧、"
        "自社ツールでの読み込み、モデルの試験）にのみ使用できます。\n"
        "2. 本サンプルを用いたモデルの学習、再配布、写っている人物の特定・連絡の試みは禁止します。\n"
        "3. 本パックは無償・現状有姿で提供されます。評価の終了時、また人物が同意を撤回した旨の通知から30日以内に"
        "削除してください。\n"
        "4. Stockdataは個人情報保護法に基づき、本提供の記録を作成・保存します。\n"
    ),
}
PROVIDED_FIELDS = ["watermarked_preview", "file_name", "width", "height", "tags", "attributes", "subjects", "boxes"]


def evaluation_licence() -> LicenceTerms:
    """The evaluation licence terms (created once, never edited: a new text is a new code)."""
    terms, _created = LicenceTerms.objects.get_or_create(
        code=EVALUATION_LICENCE_CODE, defaults={**EVALUATION_LICENCE, "effective_from": timezone.localdate()}
    )
    return terms


def _scaled(item: Mapping, width: int, height: int) -> dict:
    """The item as the preview shows it: its size, and its boxes scaled to it (kept inside)."""
    sx, sy = width / item["width"], height / item["height"]
    boxes = []
    for b in item["boxes"]:
        x, y = min(width - 1, round(b["x"] * sx)), min(height - 1, round(b["y"] * sy))
        w = max(1, min(width - x, round(b["w"] * sx)))
        h = max(1, min(height - y, round(b["h"] * sy)))
        boxes.append({"label": b["label"], "x": x, "y": y, "w": w, "h": h})
    return {**item, "width": width, "height": height, "boxes": boxes}


def evaluation_pack_issue(*, dataset: Dataset, user, accepted: bool, ip: str | None) -> tuple[EvaluationPack, bytes]:
    """Give a signed-in buyer the evaluation pack of the version on sale, under the evaluation licence.

    Refused unless the licence is accepted. Only photos whose people still consent enter (as for the
    samples and bundles); each person in the pack gets a provision record naming the buyer.
    """
    if not (user.is_authenticated and user.role == Role.BUYER and user.organisation_id and not user.is_staff):
        raise ApplicationError(
            _("Only buyer accounts can download an evaluation pack."), code=ErrorCode.NOT_A_BUYER, status=403
        )
    if not has_any_org_role(user, user.organisation_id, DOWNLOADING):
        raise ApplicationError(
            _("Your role in your organisation does not include downloading. Ask an owner of your organisation."),
            code=ErrorCode.PERMISSION_DENIED,
            status=403,
        )
    if not accepted:
        raise ApplicationError(
            _("Accept the evaluation licence to download the evaluation pack."), code=ErrorCode.LICENCE
        )
    version = dataset.latest_version
    if dataset.status != Dataset.Status.PUBLISHED or version is None:
        raise ApplicationError(_("Not found."), code=ErrorCode.NOT_FOUND, status=404)
    edition = core.ANNOTATED if version.annotated else core.UNEDITED
    shown = items_on_show(
        version, required_scopes=dataset.required_scopes, scopes=consent_scopes(), limit=EVALUATION_SAMPLES
    )
    if not shown:
        raise ApplicationError(_("No sample of this dataset can be provided now."), code=ErrorCode.NOTHING_TO_DELIVER)
    names = [i.file_name for i in shown]
    previews = {i.file_name: i.photo.preview.name for i in shown if i.photo.preview}
    items = []
    images: dict[str, bytes] = {}
    by_name = {row["file_name"]: row for row in version_items(version, edition=edition)}
    storage = public_storage()
    for name in names:
        if name not in previews:
            continue
        with storage.open(previews[name], "rb") as fh:
            data = fh.read()
        width, height = Image.open(io.BytesIO(data)).size
        images[name] = data
        items.append(_scaled(by_name[name], width, height))
    if not items:
        raise ApplicationError(_("No sample of this dataset can be provided now."), code=ErrorCode.NOTHING_TO_DELIVER)

    organisation = user.organisation
    licence = evaluation_licence()
    with transaction.atomic():
        pack = EvaluationPack.objects.create(
            buyer=user,
            recipient_name=organisation.billing_name or organisation.name,
            recipient_address=organisation.billing_address,
            dataset=dataset,
            version=version,
            licence=licence,
            licence_accepted_at=timezone.now(),
            licence_accepted_ip=ip,
            file_names=[i["file_name"] for i in items],
        )
        _provision_records(pack, [i for i in version.items.filter(file_name__in=pack.file_names)])

    info = {
        **version_info(version),
        "slug": f"{dataset.slug}-evaluation",
        "title": f"{dataset.title_en} (evaluation pack)",
        "notes": [
            (
                f"Evaluation pack {pack.reference}: {len(items)} watermarked previews (reduced size; boxes scaled to "
                "them) with their metadata rows, under the evaluation licence in LICENSE.txt. Not for training."
            ),
        ],
    }
    licence_text = core.license_txt(
        buyer_organisation=pack.recipient_name,
        order_number=pack.reference,
        dataset_title=dataset.title_en,
        dataset_slug=dataset.slug,
        version=version.number,
        edition=f"evaluation pack ({edition} samples)",
        licence_name=licence.title_en,
        licence_terms=licence.body_en + "\n" + licence.body_ja,
        issued_on=timezone.localdate().isoformat(),
        content_hash=version.content_hash,
    )
    out = io.BytesIO()
    core.build_bundle(
        out, items, info, edition=edition, open_image=lambda n: io.BytesIO(images[n]), license=licence_text
    )
    return pack, out.getvalue()


def _provision_records(pack: EvaluationPack, items) -> int:
    """One provision record per person in the pack: recipient, files, consent basis (as for a sale)."""
    today = timezone.localdate()
    per_subject: dict[str, dict] = {}
    for item in sorted(items, key=lambda i: i.position):
        for subject in item.subjects or []:
            key = subject.get("subject_id") or f"{item.photo_id}-{subject.get('position', 0)}"
            entry = per_subject.setdefault(key, {"files": [], "release_id": subject.get("release_id"), "scopes": set()})
            entry["files"].append(item.file_name)
            entry["scopes"].update(subject.get("scopes") or [])
    releases = ModelRelease.objects.in_bulk([e["release_id"] for e in per_subject.values() if e["release_id"]])
    ProvisionRecord.objects.bulk_create(
        [
            ProvisionRecord(
                evaluation_pack=pack,
                release=releases.get(entry["release_id"]),
                subject_id=key[:20],
                provided_on=today,
                recipient_name=pack.recipient_name,
                recipient_address=pack.recipient_address,
                dataset_title=pack.dataset.title_en[:200],
                dataset_version=pack.version.number,
                items={
                    "files": entry["files"],
                    "fields": PROVIDED_FIELDS,
                    "edition": "evaluation",
                    "evaluation_pack": pack.reference,
                },
                consent_basis={
                    "release_id": entry["release_id"],
                    "release_uuid": str(releases[entry["release_id"]].uuid)
                    if entry["release_id"] in releases
                    else None,
                    "scopes": sorted(entry["scopes"]),
                },
                retain_until=retain_until_for(today),
            )
            for key, entry in sorted(per_subject.items())
        ]
    )
    return len(per_subject)
