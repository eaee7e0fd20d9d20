"""What a person brings to the counter: item codes and ID documents (SPEC.md §4, R-PROC-1)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Item(StrEnum):
    """The items of SPEC.md §4 with the codes the API, the CLI and the letters use."""

    CARD = "card"
    HOLDER_PIN = "holder_pin"
    HOLDER_ID = "holder_id"
    PROXY_ID = "proxy_id"
    EXPIRY_NOTICE = "expiry_notice"
    INQUIRY_REPLY = "inquiry_reply"
    INQUIRY_LETTER = "inquiry_letter"
    POWER_OF_ATTORNEY = "power_of_attorney"

    @property
    def label(self) -> str:
        return ITEM_LABELS[self]

    @property
    def note(self) -> str:
        return ITEM_NOTES.get(self, "")


ITEM_LABELS: dict[Item, str] = {
    Item.CARD: "本人のマイナンバーカード",
    Item.HOLDER_PIN: "住民基本台帳用暗証番号（数字4桁）を本人が知っていること",
    Item.HOLDER_ID: "本人の本人確認書類",
    Item.PROXY_ID: "代理人の本人確認書類",
    Item.EXPIRY_NOTICE: "有効期限通知書",
    Item.INQUIRY_REPLY: "照会書兼回答書",
    Item.INQUIRY_LETTER: "照会書",
    Item.POWER_OF_ATTORNEY: "委任状",
}

ITEM_NOTES: dict[Item, str] = {
    Item.HOLDER_PIN: "カードで暗証番号を確認します。",
    Item.HOLDER_ID: "官公署が発行した顔写真つきの証明書（運転免許証など）、または資格確認書など公的機関が発行した書類を1点",
    Item.PROXY_ID: "官公署が発行した顔写真つきの証明書（運転免許証など）1点、または顔写真のない書類2点（1点は資格確認書など公的機関が発行したもの）",
    Item.INQUIRY_REPLY: "有効期限通知書と一体です。本人の署名・押印と暗証番号の記入が必要です。",
    Item.INQUIRY_LETTER: "市から本人の住所あてに送付したもの。本人の署名・押印が必要です。",
    Item.POWER_OF_ATTORNEY: "照会書（または照会書兼回答書）と一体です。本人の署名・押印が必要です。",
}


class IdDocumentKind(StrEnum):
    """Identity documents a clerk records (R-PROC-1); ``photo`` tells the two classes apart."""

    DRIVERS_LICENSE = "drivers_license"
    PASSPORT = "passport"
    MY_NUMBER_CARD = "my_number_card"
    RESIDENCE_CARD = "residence_card"
    SPECIAL_PERMANENT_RESIDENT = "special_permanent_resident"
    DRIVING_RECORD_CERTIFICATE = "driving_record_certificate"
    DISABILITY_CERTIFICATE = "disability_certificate"
    OTHER_PHOTO = "other_photo"
    HEALTH_INSURANCE = "health_insurance"
    PENSION_BOOK = "pension_book"
    PENSION_CERTIFICATE = "pension_certificate"
    OTHER_NON_PHOTO = "other_non_photo"

    @property
    def photo(self) -> bool:
        """A photo ID issued by a public office (官公署が発行した顔写真つきの証明書)."""
        return self in _PHOTO_IDS

    @property
    def label(self) -> str:
        return ID_DOCUMENT_LABELS[self]


_PHOTO_IDS = frozenset(
    {
        IdDocumentKind.DRIVERS_LICENSE,
        IdDocumentKind.PASSPORT,
        IdDocumentKind.MY_NUMBER_CARD,
        IdDocumentKind.RESIDENCE_CARD,
        IdDocumentKind.SPECIAL_PERMANENT_RESIDENT,
        IdDocumentKind.DRIVING_RECORD_CERTIFICATE,
        IdDocumentKind.DISABILITY_CERTIFICATE,
        IdDocumentKind.OTHER_PHOTO,
    }
)

ID_DOCUMENT_LABELS: dict[IdDocumentKind, str] = {
    IdDocumentKind.DRIVERS_LICENSE: "運転免許証",
    IdDocumentKind.PASSPORT: "旅券（パスポート）",
    IdDocumentKind.MY_NUMBER_CARD: "マイナンバーカード（代理人本人のもの）",
    IdDocumentKind.RESIDENCE_CARD: "在留カード",
    IdDocumentKind.SPECIAL_PERMANENT_RESIDENT: "特別永住者証明書",
    IdDocumentKind.DRIVING_RECORD_CERTIFICATE: "運転経歴証明書",
    IdDocumentKind.DISABILITY_CERTIFICATE: "身体障害者手帳（顔写真つき）",
    IdDocumentKind.OTHER_PHOTO: "その他官公署発行の顔写真つき証明書",
    IdDocumentKind.HEALTH_INSURANCE: "健康保険の資格確認書",
    IdDocumentKind.PENSION_BOOK: "年金手帳",
    IdDocumentKind.PENSION_CERTIFICATE: "年金証書",
    IdDocumentKind.OTHER_NON_PHOTO: "その他の書類（顔写真なし）",
}


class IdRole(StrEnum):
    HOLDER = "holder"
    PROXY = "proxy"


@dataclass(frozen=True, slots=True)
class IdCheck:
    accepted: bool
    message: str


def id_documents_accepted(role: IdRole, documents: Iterable[IdDocumentKind]) -> IdCheck:
    """R-PROC-1: one photo ID or two non-photo documents for a proxy; one of either for a holder.

    Two documents of the same kind count once: a second copy proves nothing more.
    A holder's own My Number card is the ``card`` item, not an ID document, so for the
    holder :attr:`IdDocumentKind.MY_NUMBER_CARD` does not count.
    """
    role = IdRole(role)
    kinds = {IdDocumentKind(d) for d in documents}
    if role is IdRole.HOLDER:
        kinds.discard(IdDocumentKind.MY_NUMBER_CARD)
        if kinds:
            return IdCheck(True, "本人確認書類を確認しました。")
        return IdCheck(
            False, "本人の本人確認書類（顔写真つきの証明書、または資格確認書など）が1点必要です。"
        )
    if any(k.photo for k in kinds):
        return IdCheck(True, "代理人の顔写真つき本人確認書類を確認しました。")
    if len(kinds) >= 2:
        return IdCheck(True, "代理人の本人確認書類（顔写真なし）2点を確認しました。")
    if kinds:
        return IdCheck(
            False, "顔写真のない書類は2点必要です。もう1点、種類の異なる書類を確認してください。"
        )
    return IdCheck(
        False, "代理人の本人確認書類（顔写真つき1点、または資格確認書など2点）が必要です。"
    )
