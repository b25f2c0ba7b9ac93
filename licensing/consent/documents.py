"""The PDF of a release signed on Stockdata: Japanese and English, the scopes as ticked, the signatures.

Pure: takes plain values, returns bytes (reportlab with its built-in Japanese CID font, as the
business documents do), so the same release always renders the same PDF.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from xml.sax.saxutils import escape

FONT = "HeiseiKakuGo-W5"

RELEASE_TEXT_JA = (
    "私は、下記の撮影者が撮影した私の写真（下記の写真）について、Stockdata（運営会社）が、以下で「同意する」"
    "としたそれぞれの目的に限り、写真を利用し、第三者に提供することに同意します。同意しなかった目的には利用されません。"
    "私はいつでも、私だけに送られる専用リンクから、同意の全部または一部を撤回できます。撤回後に作られるデータセットに"
    "私の写真は含まれず、すでに受け取った組織には削除が求められます。"
)
RELEASE_TEXT_EN = (
    "I consent to Stockdata (the operator) using the photographs of me taken by the photographer named below "
    "(the photos listed) and providing them to third parties, only for each purpose marked 'consented' below; "
    "they are not used for any purpose I did not consent to. At any time I can withdraw all or part of this "
    "consent through the private link sent only to me. No dataset made after a withdrawal contains my photos, "
    "and organisations that already received them are asked to delete them."
)


@dataclass(frozen=True)
class SignedRelease:
    subject_id: str
    full_name: str
    email: str
    signed_at: str
    photographer: str
    shoot: str
    photos: list[str]
    scopes: list[tuple[str, str, bool]]  # (name in Japanese, name in English, consented)
    signature_png: bytes
    minor: bool = False
    guardian_name: str = ""
    guardian_relation: str = ""
    guardian_signature_png: bytes = b""


def release_pdf(release: SignedRelease) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    body = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=14, wordWrap="CJK", spaceAfter=4)
    heading = ParagraphStyle("heading", parent=body, fontSize=14, leading=19, spaceAfter=6)

    def p(text: str, style=body) -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

    def signature(png: bytes) -> Image:
        image = Image(io.BytesIO(png), width=70 * mm, height=25 * mm, kind="proportional")
        image.hAlign = "LEFT"
        return image

    story = [
        p("モデルリリース（肖像利用同意書） / Model release", heading),
        p(f"ID: {release.subject_id} · 署名日時 / Signed: {release.signed_at}"),
        p(RELEASE_TEXT_JA),
        p(RELEASE_TEXT_EN),
        Spacer(1, 3 * mm),
        p(f"撮影者 / Photographer: {release.photographer}"),
        p(f"撮影 / Shoot: {release.shoot or '—'}"),
        p("写真 / Photos: " + (", ".join(release.photos) or "—")),
        Spacer(1, 3 * mm),
        Table(
            [
                [p(ja), p(en), p("同意する / Consented" if given else "同意しない / Not consented")]
                for ja, en, given in release.scopes
            ],
            colWidths=[60 * mm, 70 * mm, 40 * mm],
        ),
        Spacer(1, 4 * mm),
        p(f"氏名 / Full name: {release.full_name}"),
        p(f"確認済みメールアドレス / Confirmed e-mail: {release.email}"),
        signature(release.signature_png),
    ]
    if release.minor:
        story += [
            Spacer(1, 3 * mm),
            p("未成年者のため保護者が同意します / The subject is a minor; their guardian consents."),
            p(f"保護者 / Guardian: {release.guardian_name} ({release.guardian_relation})"),
            signature(release.guardian_signature_png),
        ]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=f"Model release {release.subject_id}",
        invariant=1,
    )
    doc.build(story)
    return buffer.getvalue()
