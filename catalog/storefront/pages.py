"""What the storefront's pages and the catalogue API show of a dataset: its editions and
prices, consent badges, charts of who is in it, samples. Shared by the views and the API."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from catalog.models import SIZE_BUCKETS, AgeBand, Angle, BoxLabel, Dataset, DatasetVersion, Edition, Gender, Lighting
from catalog.storefront.selectors import items_on_show, published_datasets, version_consent_now
from licensing.consent.models import ConsentScope
from stockdata.dates import format_date
from stockdata.i18n import localised
from stockdata.money import format_yen, net_of_tax, tax_included

SAMPLE_COUNT = 8
#: Rows of the per-image metadata table shown on a dataset's page.
METADATA_ROWS = 5

# Badges need a word, not the release form's full sentence; the full name is the badge's title.
SCOPE_SHORT_NAMES = {
    "publication": _("Publication"),
    "ai_training": _("AI training"),
    "generative_ai_training": _("Generative AI"),
    "biometric": _("Biometric"),
    "unique_identification": _("Identification"),
}
NOT_STATED = _("Not stated")


def consent_scopes() -> dict:
    """Every consent scope by code, in the release form's order (one query)."""
    return {s.code: s for s in ConsentScope.objects.order_by("position", "code")}


def scope_badges(codes, scopes: dict) -> list[dict]:
    ordered = sorted(codes, key=lambda c: (scopes[c].position, c) if c in scopes else (10_000, c))
    return [
        {
            "code": code,
            "label": SCOPE_SHORT_NAMES.get(code) or (scopes[code].name if code in scopes else code),
            "title": scopes[code].name if code in scopes else code,
            "description": scopes[code].description if code in scopes else "",
        }
        for code in ordered
    ]


def preview_url(photo) -> str:
    """A photo's public preview, or "" when it has none or is not public (a person withdrew publication)."""
    return photo.preview.url if photo is not None and photo.preview and photo.derived_public else ""


# --- Editions and prices ----------------------------------------------------------------


@dataclass
class EditionOffer:
    code: str
    name: str
    price: int
    tax: int
    net: int
    summary: str

    @property
    def price_label(self) -> str:
        return format_yen(self.price)

    @property
    def tax_label(self) -> str:
        return format_yen(self.tax)


def edition_offers(dataset: Dataset, version: DatasetVersion) -> list[EditionOffer]:
    """The editions on sale: unedited always, annotated only when every box of the version was confirmed."""
    offers = [
        EditionOffer(
            Edition.UNEDITED,
            str(Edition.UNEDITED.label),
            dataset.price_unedited,
            tax_included(dataset.price_unedited),
            net_of_tax(dataset.price_unedited),
            str(_("The original images with a per-image metadata table and Croissant metadata.")),
        )
    ]
    if version.annotated:
        offers.append(
            EditionOffer(
                Edition.ANNOTATED,
                str(Edition.ANNOTATED.label),
                dataset.price_annotated,
                tax_included(dataset.price_annotated),
                net_of_tax(dataset.price_annotated),
                str(
                    _(
                        "Everything in the unedited edition, plus every face and every mask marked with a box: "
                        "COCO JSON, YOLO and Pascal VOC."
                    )
                ),
            )
        )
    return offers


def annotation_facts(version: DatasetVersion) -> list[str]:
    """What was done to annotate the version, in sentences, from the records frozen with it (none when
    the version has no annotated edition)."""
    if not version.annotated:
        return []
    record = (version.statistics or {}).get("annotation")
    if not record:
        return [
            str(
                _("%(boxes)d boxes over %(photos)d photos; every box was confirmed by a person when it was frozen.")
                % {"boxes": version.box_count, "photos": version.photo_count}
            )
        ]
    return [
        str(
            _("%(faces)d face boxes and %(masks)d mask boxes over %(photos)d photos.")
            % {"faces": record["face_boxes"], "masks": record["mask_boxes"], "photos": record["photos"]}
        ),
        str(
            _(
                "Face proposals by %(detectors)s: %(kept)d kept (corrected where needed), %(rejected)d rejected as "
                "false; %(hand)d boxes drawn by hand."
            )
            % {
                "detectors": ", ".join(record["detectors"]) or "—",
                "kept": record["proposals_kept"],
                "rejected": record["proposals_rejected"],
                "hand": record["added_by_hand"],
            }
        ),
        str(
            _(
                "Every box confirmed and every photo marked annotation complete (every face and every mask boxed, no "
                "false box) by a person: %(complete)d of %(photos)d photos, %(reviewers)d reviewer(s)."
            )
            % {"complete": record["photos_complete"], "photos": record["photos"], "reviewers": record["reviewers"]}
        ),
    ]


def generative_ai_sentence(held: set[str]) -> str:
    """Whether the photos may train generative models: only if every person shown granted that scope."""
    if {"ai_training", "generative_ai_training"} <= held:
        return str(_("Generative AI training is permitted: every person shown consented to it."))
    return str(
        _(
            "Generative AI training is not permitted: not every person shown consented to it. Do not use these "
            "photos to train models that create images, video or text."
        )
    )


def datasheet(dataset: Dataset, version: DatasetVersion, *, held_scopes: list[dict]) -> list[dict]:
    """A datasheet for the version (after Gebru et al.: motivation, composition, collection, consent,
    preprocessing, uses, distribution, maintenance), every figure read from the version's records."""
    st = version.statistics or {}
    splits = st.get("splits") or {}
    query = version.query or {}
    scope_names = ", ".join(s["title"] for s in held_scopes) or str(NOT_STATED)
    composition = [
        _(
            "%(photos)d photos of %(subjects)d people (counted once per photo they appear in) by %(contributors)d "
            "photographers; %(megapixels)s megapixels in all."
        )
        % {
            "photos": version.photo_count,
            "subjects": version.subject_count,
            "contributors": st.get("contributors", 0),
            "megapixels": st.get("megapixels_total", 0),
        },
    ]
    withdrawn = getattr(dataset, "photos_withdrawn", 0)
    if withdrawn:
        composition.append(
            _(
                "Version %(number)d: %(photos)d photos when frozen; %(withdrawn)d since withdrawn and no longer sold "
                "(%(on_sale)d on sale)."
            )
            % {
                "number": version.number,
                "photos": version.photo_count,
                "withdrawn": withdrawn,
                "on_sale": version.photo_count - withdrawn,
            }
        )
    if st.get("mask"):
        composition.append(
            _("Masks: %(mask)d people wear one, %(no_mask)d do not.")
            % {"mask": st["mask"].get("mask", 0), "no_mask": st["mask"].get("no_mask", 0)}
        )
    if splits:
        composition.append(
            _("Splits by subject: train %(train)d, validation %(validation)d, test %(test)d photos.")
            % {k: splits.get(k, 0) for k in ("train", "validation", "test")}
        )
    sections = [
        ("motivation", _("Motivation"), [localised(dataset, "description") or str(NOT_STATED)]),
        ("composition", _("Composition"), composition),
        (
            "collection",
            _("Collection process"),
            [
                _(
                    "Photographs uploaded by contributing photographers with a signed model release for every person "
                    "shown; reviewed by staff; selected by a curation query and frozen on %(date)s."
                )
                % {"date": format_date(version.frozen_at)},
                _("Curation query: %(query)s") % {"query": ", ".join(f"{k}={v}" for k, v in sorted(query.items()))}
                if query
                else _("Photos were chosen by hand."),
            ],
        ),
        (
            "consent",
            _("Consent"),
            [
                _("Every photo on sale holds these consent scopes now: %(scopes)s.") % {"scopes": scope_names},
                _(
                    "A person who withdraws consent is left out of every bundle, sample and evaluation pack from then "
                    "on; buyers who received their photos are told which files to delete."
                ),
            ],
        ),
        (
            "preprocessing",
            _("Preprocessing"),
            [
                _("Original files, GPS and other personal metadata removed; no resizing or re-encoding."),
                _("People are identified only by pseudonymous subject ids."),
                *annotation_facts(version),
            ],
        ),
        (
            "uses",
            _("Uses"),
            [
                _("Training and evaluating models within the consent scopes above, under the licence."),
                generative_ai_sentence({s["code"] for s in held_scopes}),
                _("Not permitted: re-identifying or contacting the people shown, surveillance, redistribution."),
            ],
        ),
        (
            "distribution",
            _("Distribution"),
            [
                _(
                    "A ZIP per order with the images, a per-image metadata table (JSON Lines and CSV), Croissant "
                    "metadata, the licence naming the buyer and a SHA-256 manifest; the annotated edition adds COCO, "
                    "YOLO and Pascal VOC boxes."
                ),
                _("Licence: %(licence)s.") % {"licence": dataset.licence.title if dataset.licence_id else NOT_STATED},
            ],
        ),
        (
            "maintenance",
            _("Maintenance"),
            [
                _(
                    "Version %(number)d never changes (content hash %(hash)s); corrections and withdrawals are "
                    "published as new versions."
                )
                % {"number": version.number, "hash": version.content_hash[:16]},
            ],
        ),
    ]
    return [{"key": key, "title": str(title), "lines": [str(line) for line in lines]} for key, title, lines in sections]


# --- Charts -----------------------------------------------------------------------------


@dataclass
class Bar:
    key: str
    label: str
    count: int
    percent: str  # "42.5", also the bar's width in %


@dataclass
class Chart:
    key: str
    title: str
    unit: str
    total: int
    bars: list[Bar] = field(default_factory=list)


def _chart(key: str, title, unit, counts: dict, labels: list[tuple[str, str]]) -> Chart:
    """Bars in the given order (known values, zeros included), then any other value; "unknown" last."""
    counts = {k: int(v) for k, v in (counts or {}).items()}
    total = sum(counts.values())
    order = [(k, str(label)) for k, label in labels]
    known = {k for k, _label in order}
    order += [(k, k) for k in sorted(counts) if k not in known and k != "unknown"]
    if counts.get("unknown"):
        order.append(("unknown", str(NOT_STATED)))
    bars = [
        Bar(k, label, counts.get(k, 0), f"{(100 * counts.get(k, 0) / total) if total else 0:.1f}") for k, label in order
    ]
    return Chart(key, str(title), str(unit), total, bars)


def version_charts(statistics: dict) -> list[Chart]:
    """What is inside a version, from its stored statistics: who is in it and what the images are."""
    people, photos = _("people"), _("photos")
    charts = [
        _chart("age_band", _("Age band"), people, statistics.get("age_band"), AgeBand.choices),
        _chart("gender", _("Gender"), people, statistics.get("gender"), Gender.choices),
        _chart("mask", _("Mask"), people, statistics.get("mask"), [("mask", _("Mask")), ("no_mask", _("No mask"))]),
        _chart("angle", _("Face angle"), people, statistics.get("angle"), Angle.choices),
        _chart("lighting", _("Lighting"), photos, statistics.get("lighting"), Lighting.choices),
        _chart(
            "image_sizes",
            _("Image size"),
            photos,
            statistics.get("image_sizes"),
            [(name, name) for _floor, name in SIZE_BUCKETS],
        ),
    ]
    if statistics.get("boxes"):
        charts.append(_chart("boxes", _("Annotation boxes"), _("boxes"), statistics["boxes"], BoxLabel.choices))
    return [c for c in charts if c.total]


# --- Pages ------------------------------------------------------------------------------


def decorate_cards(datasets, scopes: dict) -> None:
    """What a card (and an API list entry) shows, on each dataset of a page; no query."""
    for dataset in datasets:
        dataset.display_title = localised(dataset, "title")
        dataset.display_description = localised(dataset, "description")
        dataset.price_from_label = format_yen(dataset.price_from)
        dataset.scope_badges = scope_badges(dataset.required_scopes, scopes)
        dataset.cover_url = preview_url(dataset.cover)
        dataset.offers = edition_offers(dataset, dataset.latest_version)


# The pages' bodies are cached, keyed by what they show, so a busy catalogue renders each
# once: the list by the catalogue's state (datasets' count and last change) and its query
# string, a dataset's page by its last change and version. A save of a dataset changes
# ``updated_at`` and so the key; what a key cannot see (a consent scope renamed, a cover's
# preview rebuilt) shows within CACHE_SECONDS. Bump CACHE_VERSION when the templates change.


def dataset_page_details(dataset: Dataset) -> Dataset:
    """Load what a dataset's page shows beyond the dataset and its version, in four queries
    whatever the size of the version."""
    version = dataset.latest_version
    scopes = consent_scopes()
    samples = items_on_show(
        version,
        required_scopes=dataset.required_scopes,
        scopes=scopes,
        limit=SAMPLE_COUNT,
        fields=("boxes", "subjects", "tags"),
        public=True,
    )
    for item in samples:
        item.preview_url = preview_url(item.photo)
        item.display_height = round(600 * item.height / item.width) if item.width else 400
    # The truth now, not at freeze: how many photos are still sold, how many left since (consent
    # withdrawn, release ended, opted out), and the scopes every photo still sold holds.
    consent_now = version_consent_now(version, required_scopes=dataset.required_scopes, scopes=scopes)
    dataset.photos_on_sale = consent_now["on_sale"]
    dataset.photos_withdrawn = consent_now["withdrawn"]
    held = consent_now["held"]

    dataset.samples = samples
    for index, item in enumerate(i for i in samples if i.preview_url):
        item.viewer_index = index
    dataset.viewer = [
        {
            "src": item.preview_url,
            "name": item.file_name,
            "width": item.width,
            "height": item.height,
            "boxes": [{k: b[k] for k in ("label", "x", "y", "w", "h")} for b in item.boxes]
            if version.annotated
            else [],
        }
        for item in samples
        if item.preview_url
    ]
    dataset.metadata_rows = [
        {
            "file_name": item.file_name,
            "width": item.width,
            "height": item.height,
            "tags": ", ".join(item.tags[:6]),
            "subject_count": len(item.subjects),
            "age_bands": ", ".join(s.get("age_band") or "—" for s in item.subjects),
            "genders": ", ".join(s.get("gender") or "—" for s in item.subjects),
            "masks": ", ".join(str(bool(s.get("mask"))).lower() for s in item.subjects),
            "boxes": len(item.boxes) if version.annotated else None,
        }
        for item in samples[:METADATA_ROWS]
    ]
    dataset.held_scopes = [{**b, "name": b["title"]} for b in scope_badges(held or (), scopes)]
    dataset.history = list(dataset.versions.order_by("-number").defer("statistics", "changes", "query", "notes")[:10])
    dataset.display_title = localised(dataset, "title")
    dataset.display_description = localised(dataset, "description")
    dataset.display_licence_summary = localised(dataset, "licence_summary")
    dataset.offers = edition_offers(dataset, version)
    dataset.price_from = min(o.price for o in dataset.offers)
    dataset.datasheet = datasheet(dataset, version, held_scopes=dataset.held_scopes)
    return dataset


def dataset_page(slug: str) -> Dataset:
    """A published dataset with everything its page shows, in five queries whatever its size
    (404 for a draft, a retired dataset or one without a version)."""
    dataset = get_object_or_404(
        published_datasets()
        .select_related("latest_version", "cover", "licence")
        .defer("search_text", "curation_query"),
        slug=slug,
    )
    dataset_page_details(dataset)
    dataset.cover_url = preview_url(dataset.cover)
    return dataset
