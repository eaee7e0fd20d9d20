"""PDF letters of the counter (SPEC.md §4, §6): plain frozen dataclasses in, A4 PDF bytes out.

Four documents: the inquiry letter (照会書) with its power of attorney (委任状), mailed to the
holder's registered address after a proxy's first visit, carrying its number as text and as a
QR code the clerk scans at the second visit (R-PROC-2); the expiry notice (有効期限通知書) that
says which certificates (and the card) expire when, what to bring in person or by proxy,
where and when, with the proxy's reply form (照会書兼回答書, PIN boxes under a seal sticker),
its power of attorney and, when the card itself expires, the QR code of the free card-renewal
application (R-NOTICE-1, R-NOTICE-2); the certificate copy (電子証明書の写し) with the expiry
date the clerk writes on the card's face (R-PROC-5); and the fee receipt (領収書) naming the
waiver (R-PROC-4). Mailed letters put the address in the window of a 長形3号 envelope and
print 「転送不要」 there. Text is set in IPAex Mincho and headings in IPAex Gothic, both
embedded as subsets; :func:`write_notices_pdf` streams a campaign's notices into one PDF for
the print vendor.
"""

from __future__ import annotations

from madoguchi.letters.documents import (
    Addressee,
    CertificateCopyDoc,
    CertificateOnCard,
    CityContact,
    ExpiringItem,
    ExpiryNoticeDoc,
    InquiryLetterDoc,
    ReceiptDoc,
    item_note,
    requirement_labels,
)
from madoguchi.letters.errors import LettersError
from madoguchi.letters.render import expiry_notice_pdf, inquiry_letter_pdf, write_notices_pdf
from madoguchi.letters.render_counter import certificate_copy_pdf, receipt_pdf

__all__ = [
    "Addressee",
    "CertificateCopyDoc",
    "CertificateOnCard",
    "CityContact",
    "ExpiringItem",
    "ExpiryNoticeDoc",
    "InquiryLetterDoc",
    "LettersError",
    "ReceiptDoc",
    "certificate_copy_pdf",
    "expiry_notice_pdf",
    "inquiry_letter_pdf",
    "item_note",
    "receipt_pdf",
    "requirement_labels",
    "write_notices_pdf",
]
