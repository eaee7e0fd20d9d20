"""Documents to sign in the tests: a small PDF, and XML forms (Japanese and ASCII names)."""

from __future__ import annotations

import io

from reportlab.pdfgen import canvas

#: an e-government style form: element names in Japanese (signxml needs UTF-8 copies)
XML = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    "<申請書><申請者><氏名>帯広 花子</氏名></申請者><内容>住所の変更</内容></申請書>\n"
).encode()
ASCII_XML = b'<?xml version="1.0"?><application><name>Obihiro Hanako</name></application>'
PDF_TEXT = b"application form"


def make_pdf(text: str = PDF_TEXT.decode()) -> bytes:
    """One page with ``text``, uncompressed so that a test can find and change it."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pageCompression=0)
    page.drawString(100, 750, text)
    page.save()
    return buffer.getvalue()
