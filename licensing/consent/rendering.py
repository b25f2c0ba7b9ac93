"""Release documents shown to reviewers as images drawn here, never as the uploaded PDF.

A PDF can carry JavaScript, forms and links that a browser's PDF viewer runs or follows; a
reviewer's browser only ever gets PNG images of the pages, rendered on the server by PDFium
(pypdfium2, built without a JavaScript engine). A PDF PDFium cannot read shows no page, and the
review page says so.
"""

from __future__ import annotations

import io

import pypdfium2 as pdfium

#: Pages shown at most (a release is one or two pages); the long side of each image in pixels.
MAX_PAGES = 20
PAGE_WIDTH = 1400


def pdf_page_count(data: bytes) -> int:
    """Pages that can be shown (at most ``MAX_PAGES``); 0 when PDFium cannot read the file."""
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError:
        return 0
    try:
        return min(len(document), MAX_PAGES)
    finally:
        document.close()


def pdf_page_png(data: bytes, number: int) -> bytes | None:
    """Page ``number`` (from 1) as a PNG ``PAGE_WIDTH`` pixels wide, or None if there is no such page."""
    if not 1 <= number <= MAX_PAGES:
        return None
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError:
        return None
    try:
        if number > len(document):
            return None
        page = document[number - 1]
        width = page.get_width() or 1
        scale = max(0.1, min(4.0, PAGE_WIDTH / width))
        image = page.render(scale=scale, may_draw_forms=False).to_pil()
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=False)
        return out.getvalue()
    except pdfium.PdfiumError:
        return None
    finally:
        document.close()
