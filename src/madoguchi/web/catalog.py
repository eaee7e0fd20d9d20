"""The Babel message catalog of the pages: extract, update and compile.

Message ids are the Japanese text. They come from the templates (``_()`` and ``{% trans %}``,
extracted by Jinja's Babel extractor) and from the label tables of the rules and the web
layer that templates pass through ``_()`` at run time (item labels, messages, procedure
titles…). ``python -m madoguchi.web.catalog update`` refreshes ``locale/en/…/messages.po``
(new ids get an empty translation); ``compile`` writes the ``.mo`` the pages load. A test
checks that every id has an English translation and that the ``.mo`` matches the ``.po``.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from madoguchi.web.i18n import LOCALE_DIR

WEB = Path(__file__).parent
TEMPLATES = WEB / "templates"
PO = LOCALE_DIR / "en" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")


_NOON = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)  # an open moment, for the offices' messages
_NIGHT = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)  # a closed one


def runtime_messages() -> Iterator[str]:
    """The Japanese texts templates translate at run time (labels, messages, outcomes)."""
    from madoguchi.messages import MESSAGES
    from madoguchi.pki.facts import GENDER_LABELS
    from madoguchi.rules.items import ID_DOCUMENT_LABELS, ITEM_LABELS, ITEM_NOTES
    from madoguchi.rules.offices import DEFAULT_OFFICES, office_status
    from madoguchi.rules.pins import PIN_LABELS
    from madoguchi.rules.procedures import PROCEDURES
    from madoguchi.rules.validity import CERT_KIND_LABELS
    from madoguchi.services.domain import StaffRole
    from madoguchi.web import labels, public

    yield from MESSAGES.values()
    yield from ITEM_LABELS.values()
    yield from ITEM_NOTES.values()
    yield from ID_DOCUMENT_LABELS.values()
    yield from PIN_LABELS.values()
    yield from CERT_KIND_LABELS.values()
    yield from labels.KIND_LABELS.values()
    yield from labels.FEE_REASON_CHOICES.values()
    yield from labels.STAY_APPLICANT_LABELS.values()
    yield from labels.RESIDENT_NOTICES.values()
    from madoguchi.rules.abroad import AbroadApplicant
    from madoguchi.rules.pins import KIOSK_RESET_TEXT

    yield from (a.label for a in AbroadApplicant)
    yield KIOSK_RESET_TEXT
    from madoguchi.rules.fees import FeeReason

    yield from (r.label for r in FeeReason)
    yield from labels.STATE_LABELS.values()
    yield from labels.STATUS_LABELS.values()
    yield from labels.REFUSAL_REASONS
    yield from labels.ACTION_LABELS.values()
    yield from labels.CARD_STATUS_LABELS.values()
    yield from (r.label for r in StaffRole)
    for p in PROCEDURES.values():
        yield p.title
        for v in p.visits:
            yield v.outcome
            for req in v.requirements:
                yield req.label
    for o in DEFAULT_OFFICES:
        yield from (o.name, o.desk)
        yield office_status(o, _NOON).message
        yield office_status(o, _NIGHT).message
    yield from labels.RESIDENT_STATUS_LABELS.values()
    yield from labels.HOLIDAY_NAMES
    yield from (label for label, _prefixes in labels.ACTION_GROUPS.values())
    yield from labels.CHAIN_PROBLEMS.values()
    yield from labels.ACTOR_LABELS.values()
    from madoguchi.rules.notices import BATCH_STATE_LABELS
    from madoguchi.web.public_check import STATUS_LABELS as CHECK_STATUS_LABELS

    yield from BATCH_STATE_LABELS.values()
    yield from CHECK_STATUS_LABELS.values()
    yield "その他の操作"
    yield from (o.address for o in DEFAULT_OFFICES if o.address)
    yield from labels.NOTICE_STATE_LABELS.values()
    yield from labels.NOTICE_REASON_LABELS.values()
    yield from public.STEP_LABELS.values()
    yield from public._WEEKDAYS
    yield from GENDER_LABELS.values()
    from madoguchi.relying.messages import STATUS_LABELS, VERDICT_MESSAGES

    yield from VERDICT_MESSAGES.values()
    yield from STATUS_LABELS.values()
    yield "帯広市"
    from madoguchi.rules.fees import DEFAULT_FEE_SCHEDULE

    yield from (e.waiver for e in DEFAULT_FEE_SCHEDULE if e.waiver)
    from madoguchi.rules.procedures import VisitCheck

    yield VisitCheck(True, ()).message
    from madoguchi.rules import id_documents as r_id

    yield from r_id.ID_DOCUMENT_LABELS.values()  # R-ID-1, by group, on the case page
    yield from (g.label for g in r_id.IdGroup)
    yield from (r.message for r in r_id.IdRefusal)  # the reason beside the field
    yield from r_id.NOT_COUNTED_NOTES.values()


def extracted() -> Catalog:
    catalog = Catalog(locale=None, project="madoguchi", charset="utf-8")
    method_map = [("**.html", "jinja2")]
    options = {"**.html": {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(TEMPLATES), method_map, options_map=options
    ):
        catalog.add(message, locations=[(f"templates/{filename}", lineno)])
    # the texts the web modules translate themselves: i18n.gettext("…")
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(WEB), [("*.py", "python")], keywords={"gettext": None}
    ):
        if isinstance(message, str) and message not in catalog:
            catalog.add(message, locations=[(f"web/{filename}", lineno)])
    for text in runtime_messages():
        if text and text not in catalog:
            catalog.add(text, locations=[("runtime", 0)])
    return catalog


def load_po() -> Catalog:
    if not PO.exists():
        return Catalog(locale="en")
    with PO.open("rb") as f:
        return read_po(f, locale="en")


def update() -> Catalog:
    template = extracted()
    catalog = load_po()
    catalog.update(template, no_fuzzy_matching=True)
    catalog.project, catalog.version, catalog.fuzzy = "madoguchi", "1", False
    catalog.msgid_bugs_address = ""
    catalog.last_translator = "madoguchi developers"
    catalog.language_team = "madoguchi developers"
    PO.parent.mkdir(parents=True, exist_ok=True)
    with PO.open("wb") as f:
        write_po(f, catalog, width=100, omit_header=False, sort_output=True, ignore_obsolete=True)
    return catalog


def compiled(catalog: Catalog) -> bytes:
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    return buf.getvalue()


def compile_mo() -> None:
    MO.write_bytes(compiled(load_po()))


def main(argv: list[str]) -> int:
    if argv[:1] == ["update"]:
        catalog = update()
        missing = [m.id for m in catalog if m.id and not m.string]
        print(f"{PO}: {len(catalog)} messages, {len(missing)} untranslated")
        return 0
    if argv[:1] == ["compile"]:
        compile_mo()
        print(f"wrote {MO}")
        return 0
    print("usage: python -m madoguchi.web.catalog update|compile", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
