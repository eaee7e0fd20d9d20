"""`madoguchi demo-data`: residents of Obihiro with cards and certificates in every state
worth showing (valid, expiring soon, expired, revoked after a move, held after a loss, a
minor, a 29 February birthday, moved out, deceased, no certificate yet, a name with 髙, a
foreign resident whose stay ends next month, someone about to move abroad, one abroad with a
continued card, a face-authentication card).

Every certificate goes through the real counter procedure, at the time it would have been
issued: the clock is moved back and forth, nothing is written around the services.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from madoguchi.rules.cases import CaseKind
from madoguchi.rules.dates import JST
from madoguchi.rules.items import Item
from madoguchi.rules.revocation import RegistryEvent
from madoguchi.services.audit import Actor
from madoguchi.services.counter import CounterService
from madoguchi.services.domain import Resident, ResidentStatus, StaffRole
from madoguchi.services.registry import Change, RegistryService, new_resident_id
from madoguchi.services.staff import StaffService

DEMO_CLERK = Actor("demo", "main", "DEMO")
DEMO_JUKI_PIN, DEMO_KENMEN_PIN = "1234", "5678"
DEMO_SIGN_PASSWORD, DEMO_AUTH_PIN = "DEMO1234", "1234"


class MovableClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set_day(self, day: date) -> None:
        self.now = datetime.combine(day, time(10, 0), tzinfo=JST).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class DemoPerson:
    name: str
    kana: str
    birth: date
    gender: str
    address: str
    postal_code: str
    card_created_years_ago: float
    issued_years_ago: float | None  # None: no certificate yet
    then: str | None = None  # what happens afterwards
    adult_ward: bool = False
    # the birth date moves with the day the data is made, so that the state it shows (a
    # renewal window open now) holds on any day, not only on REFERENCE_DAY
    moves_with_today: bool = False
    # R-CARD-2: a foreign resident whose period of stay ends this many days after today
    stay_days: int | None = None

    def birth_on(self, today: date) -> date:
        """The birth date for data made on ``today`` (``birth`` on REFERENCE_DAY)."""
        return self.birth + (today - REFERENCE_DAY) if self.moves_with_today else self.birth


#: the day the demo people's fixed facts were written for (their birth dates as stated)
REFERENCE_DAY = date(2026, 11, 24)


PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson(
        "帯広 太郎",
        "オビヒロ タロウ",
        date(1980, 7, 1),
        "1",
        "北海道帯広市西5条南7丁目1番地",
        "080-0015",
        0.5,
        0.5,
    ),
    DemoPerson(
        "十勝 花子",
        "トカチ ハナコ",
        date(1975, 2, 10),
        "2",
        "北海道帯広市東3条南10丁目4番地",
        "080-0803",
        4.7,
        4.7,
        moves_with_today=True,  # her certificates end 78 days from today: renewal window open
    ),
    DemoPerson(
        "西 一郎",
        "ニシ イチロウ",
        date(1960, 12, 5),
        "1",
        "北海道帯広市西16条南5丁目20番地",
        "080-0026",
        6.5,
        6.5,
    ),
    DemoPerson(
        "東 美咲",
        "ヒガシ ミサキ",
        date(1990, 5, 20),
        "2",
        "北海道帯広市大通南12丁目2番地",
        "080-0010",
        2.0,
        2.0,
        "address",
    ),
    DemoPerson(
        "南 健太",
        "ミナミ ケンタ",
        date(1985, 9, 9),
        "1",
        "北海道帯広市白樺16条西3丁目1番地",
        "080-0856",
        3.0,
        3.0,
        "lost",
    ),
    DemoPerson(
        "北 さくら",
        "キタ サクラ",
        date(2014, 3, 3),
        "2",
        "北海道帯広市緑ヶ丘2条通1丁目5番地",
        "080-0846",
        1.0,
        1.0,
    ),
    DemoPerson(
        "川西 翔",
        "カワニシ ショウ",
        date(2000, 2, 29),
        "1",
        "北海道帯広市川西町西2線61番地",
        "089-1182",
        1.5,
        1.5,
    ),
    DemoPerson(
        "大正 ゆい",
        "タイショウ ユイ",
        date(1995, 8, 15),
        "2",
        "北海道帯広市大正本町本通1丁目1番地",
        "089-1246",
        2.5,
        2.5,
        "move_out",
    ),
    DemoPerson(
        "緑ヶ丘 勝",
        "ミドリガオカ マサル",
        date(1950, 1, 15),
        "1",
        "北海道帯広市緑ヶ丘3条通2丁目8番地",
        "080-0845",
        4.0,
        4.0,
        "death",
    ),
    DemoPerson(
        "柏林台 はるか",
        "ハクリンダイ ハルカ",
        date(1988, 11, 30),
        "2",
        "北海道帯広市柏林台北町3丁目2番地",
        "080-0042",
        0.2,
        None,
    ),
    DemoPerson(
        "自由が丘 大輔",
        "ジユウガオカ ダイスケ",
        date(1970, 4, 1),
        "1",
        "北海道帯広市自由が丘4丁目3番地",
        "080-0831",
        1.0,
        1.0,
        adult_ward=True,
    ),
    # R-X509-2: 髙 is outside JIS X 0208/0212; the signing certificate carries 高 with
    # positions 10000, and 﨑 in the address is written 崎
    DemoPerson(
        "髙橋 修",
        "タカハシ オサム",
        date(1982, 6, 12),
        "1",
        "北海道帯広市西10条南9丁目2番地 﨑ハイツ",
        "080-0020",
        1.0,
        1.0,
    ),
    # R-CARD-2…4, R-NOTICE-5: a foreign resident whose stay ends next month: the card and
    # the certificates end with it, no expiry notice; the validity change renews both
    DemoPerson(
        "NGUYEN VAN AN",
        "グエン ヴァン アン",
        date(1996, 10, 3),
        "1",
        "北海道帯広市西3条南9丁目1番地",
        "080-0013",
        2.0,
        2.0,
        stay_days=35,
    ),
    # R-ABROAD-1: about to move abroad, continued use asked for (the move in two weeks)
    DemoPerson(
        "旅立 さやか",
        "タビダチ サヤカ",
        date(1992, 4, 18),
        "2",
        "北海道帯広市西7条南10丁目3番地",
        "080-0017",
        3.0,
        3.0,
        "abroad_soon",
    ),
    # R-ABROAD-2: abroad with the card in continued use (moved 50 days ago)
    DemoPerson(
        "海外 悠真",
        "カイガイ ユウマ",
        date(1987, 1, 22),
        "1",
        "北海道帯広市東5条南4丁目6番地",
        "080-0805",
        4.0,
        4.0,
        "abroad",
    ),
    # R-FACE-1: a face-authentication card (no PINs, no sign certificate)
    DemoPerson(
        "顔認 たかし",
        "カオニン タカシ",
        date(1941, 8, 8),
        "1",
        "北海道帯広市西15条南20丁目1番地",
        "080-0025",
        1.5,
        1.5,
        "face_auth",
    ),
)


def _years_ago(today: date, years: float) -> date:
    return today - timedelta(days=round(years * 365.25))


def load_demo_data(
    registry: RegistryService,
    counter: CounterService,
    clock: MovableClock,
    new_card: Callable[..., object],
    today: date,
    *,
    history: bool = True,
) -> list[Resident]:
    """Create the demo residents; returns them as registered. Without ``history`` (a
    counter of a CA service, which signs at its own time), no certificate is issued in the
    past: the residents and their cards are there, the clerk issues at the counter."""
    out = []
    for person in PEOPLE:
        created = _years_ago(today, person.card_created_years_ago)
        clock.set_day(created)
        resident = Resident(
            new_resident_id(),
            person.name,
            person.kana,
            person.birth_on(today),
            person.gender,
            person.address,
            ResidentStatus.RESIDENT,
            person.adult_ward,
            None,
            clock(),
            postal_code=person.postal_code,
            nationality="jp" if person.stay_days is None else "foreign",
            stay_until=None if person.stay_days is None else today + timedelta(person.stay_days),
        )
        with registry.uow_factory() as uow:
            resident = registry.register(uow, resident, DEMO_CLERK)
            new_card(uow, resident, created, juki_pin=DEMO_JUKI_PIN, kenmen_pin=DEMO_KENMEN_PIN)
            uow.commit()
        if history and person.issued_years_ago is not None:
            clock.set_day(_years_ago(today, person.issued_years_ago))
            case = counter.open_case(kind=CaseKind.P1, resident_id=resident.id, actor=DEMO_CLERK)
            counter.record_visit(
                case.id,
                visit=1,
                items=[Item.CARD, Item.HOLDER_PIN],
                actor=DEMO_CLERK,
                juki_pin=DEMO_JUKI_PIN,
            )
            counter.issue(
                case.id, sign_password=DEMO_SIGN_PASSWORD, auth_pin=DEMO_AUTH_PIN, actor=DEMO_CLERK
            )
        clock.set_day(today - timedelta(days=20))
        if person.then == "address":
            registry.apply(
                resident.id,
                RegistryEvent.ADDRESS,
                DEMO_CLERK,
                Change(address="北海道帯広市西21条南3丁目9番地", postal_code="080-0048"),
            )
        elif person.then == "lost":
            registry.apply(resident.id, RegistryEvent.LOST, DEMO_CLERK)
        elif person.then == "move_out":
            registry.apply(
                resident.id,
                RegistryEvent.MOVE_OUT,
                DEMO_CLERK,
                Change(planned_move_out=today - timedelta(days=15)),
            )
        elif person.then == "death":
            registry.apply(resident.id, RegistryEvent.DEATH, DEMO_CLERK)
        elif person.then == "abroad_soon":
            clock.set_day(today)
            counter.notify_move_abroad(
                resident.id,
                move_out=today + timedelta(days=14),
                continued=True,
                destination="ドイツ連邦共和国",
                actor=DEMO_CLERK,
            )
        elif person.then == "abroad":
            clock.set_day(today - timedelta(days=60))
            counter.notify_move_abroad(
                resident.id,
                move_out=today - timedelta(days=50),
                continued=True,
                destination="アメリカ合衆国",
                actor=DEMO_CLERK,
            )
            clock.set_day(today - timedelta(days=50))
            counter.record_move_abroad(resident.id, actor=DEMO_CLERK)
        elif person.then == "face_auth":
            counter.switch_face_auth(resident.id, to_face_auth=True, actor=DEMO_CLERK)
        out.append(resident)
    clock.set_day(today)
    return out


@dataclass(frozen=True, slots=True)
class DemoLogin:
    login: str
    name: str
    role: StaffRole
    office: str
    password: str


#: The demo's staff logins, printed by ``make demo`` (never used outside the demo).
DEMO_STAFF: tuple[DemoLogin, ...] = (
    DemoLogin("clerk", "窓口 一子", StaffRole.CLERK, "main", "clerk-demo-2026"),
    DemoLogin("supervisor", "監督 二郎", StaffRole.SUPERVISOR, "main", "supervisor-demo-2026"),
    DemoLogin("admin", "管理 三奈", StaffRole.ADMIN, "main", "admin-demo-2026"),
    DemoLogin("branch", "川西 四郎", StaffRole.CLERK, "kawanishi", "branch-demo-2026"),
)


def create_demo_staff(staff: StaffService) -> tuple[DemoLogin, ...]:
    for d in DEMO_STAFF:
        staff.ensure_account(
            login=d.login,
            name=d.name,
            role=d.role,
            office=d.office,
            password=d.password,
            actor=DEMO_CLERK,
        )
    return DEMO_STAFF
