"""Issue 14, items 11 and 12: the staff session cookie lives as long as the browser session
(the idle timeout is the server's), and a card-renewal link is decoded strictly."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from urllib.parse import quote

import pytest

from madoguchi.bootstrap import Container
from madoguchi.services.domain import Refused
from tests.support.web import Browser, browser

# --- item 11: a browser-session cookie ------------------------------------------------------


def test_staff_session_cookie_has_no_lifetime_of_its_own(web: Browser) -> None:
    r = web.login("clerk")
    assert r.status_code == 303, r.text
    cookies = [c for c in r.headers.get_list("set-cookie") if c.startswith("mdg_session=")]
    assert len(cookies) == 1
    attributes = {a.strip().split("=")[0].lower() for a in cookies[0].split(";")[1:]}
    assert "max-age" not in attributes and "expires" not in attributes, cookies[0]
    assert {"httponly", "samesite", "path"} <= attributes


def test_the_server_still_ends_an_idle_session(fresh: Container) -> None:
    b = browser(fresh)
    b.login("clerk")
    fresh.clock.now += timedelta(minutes=29)  # type: ignore[attr-defined]
    assert b.get("/staff/", follow_redirects=False).status_code == 200
    fresh.clock.now += timedelta(minutes=31)  # type: ignore[attr-defined]
    assert b.get("/staff/", follow_redirects=False).status_code == 303


# --- item 12: strict base64url in card-renewal links --------------------------------------


def _reference(c: Container) -> str:
    with c.uow() as uow:
        card = next(
            card
            for r in uow.counter.find_residents(limit=50)
            for card in uow.counter.cards_of(r.id)
        )
    return c.card_renewal.reference(card.id, card.expires)


def _with_other_trailing_bits(part: str) -> str:
    """The same bytes written with other unused low bits in the last character."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    unused = {2: 4, 3: 2}.get(len(part) % 4, 0)  # 1 byte: 4 bits unused; 2 bytes: 2 bits
    assert unused, "this payload length leaves no unused bits"
    return part[:-1] + alphabet[alphabet.index(part[-1]) ^ 1]


FORGERIES: dict[str, Callable[[str], str]] = {
    # four at a time, so that a decoder that skips them finds the length it expects
    "characters outside base64url": lambda ref: ref[:5] + "!~*$" + ref[5:],
    "spaces": lambda ref: ref[:5] + "    " + ref[5:],
    "padding": lambda ref: ref + "==",
    "padding on the payload": lambda ref: ref.replace(".", "=.", 1),
    "other trailing bits": lambda ref: ".".join(
        [_with_other_trailing_bits(ref.split(".")[0]), ref.split(".")[1]]
    ),
}


@pytest.mark.parametrize("forge", FORGERIES.values(), ids=FORGERIES.keys())
def test_card_renewal_link_is_decoded_strictly(
    demo: Container, web: Browser, forge: Callable[[str], str]
) -> None:
    ref = _reference(demo)
    assert demo.card_renewal.target(ref).card_id  # the link as printed opens the page
    bad = forge(ref)
    assert bad != ref
    with pytest.raises(Refused) as refused:
        demo.card_renewal.target(bad)
    assert refused.value.code == "bad_renewal_link"
    r = web.get("/card-renewal/" + quote(bad, safe="."))
    assert r.status_code == 404
    assert 'data-code="bad_renewal_link"' in r.text
