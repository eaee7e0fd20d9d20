"""Page checks the browser tests run on every page (issue 15): axe-core's accessibility rules
and horizontal overflow on a phone.

axe-core comes from the npm registry (pinned in tests/support/axe/package-lock.json,
installed by scripts/sysdeps.sh with `npm ci`) and is injected into the Playwright page with
``page.add_script_tag``; the browser context must be made with ``bypass_csp=True``, since the
pages' Content-Security-Policy allows no inline script. Never skips: without axe-core the
check fails and says how to install it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

AXE_DIR = Path(__file__).parent / "axe"
AXE_JS = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
#: the impacts that fail a page; "moderate" and "minor" are reported, not failed
FAILING = ("serious", "critical")
PHONE = {"width": 390, "height": 844}
#: Japanese script: kana, CJK ideographs, full-width forms and the ideographic punctuation
JAPANESE = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


@dataclass(frozen=True, slots=True)
class Violation:
    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.impact} {self.rule}: {self.help} — {', '.join(self.targets[:5])}"


def axe_source() -> Path:
    if not AXE_JS.is_file():
        pytest.fail(
            f"axe-core is missing ({AXE_JS}); `make sysdeps` installs it with npm "
            "(scripts/sysdeps.sh: npm ci in tests/support/axe)",
            pytrace=False,
        )
    return AXE_JS


def axe_violations(page: Page) -> list[Violation]:
    """Every axe-core violation of the page as it is now (WCAG 2.x A and AA rules and axe's
    best practices), with its impact."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(axe_source()))
    result: dict[str, Any] = page.evaluate(
        """async () => await axe.run(document, {resultTypes: ['violations']})"""
    )
    return [
        Violation(
            v["id"],
            v.get("impact") or "",
            v["help"],
            tuple(" ".join(map(str, n["target"])) for n in v["nodes"]),
        )
        for v in result["violations"]
    ]


def serious(page: Page) -> list[str]:
    """The serious and critical violations, as readable lines (empty when the page passes)."""
    return [str(v) for v in axe_violations(page) if v.impact in FAILING]


OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > width + 0.5)
    .filter(e => !e.parentElement || e.parentElement.getBoundingClientRect().right <= width + 0.5)
    .slice(0, 5)
    .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
              (e.className ? '.' + String(e.className).replace(/ /g, '.') : '') +
              ' ' + Math.round(e.getBoundingClientRect().right) + 'px');
  return {scroll: document.documentElement.scrollWidth, width, wide};
}"""


def overflow(page: Page) -> dict[str, Any]:
    """How wide the page is against the viewport, and the outermost elements that stick out."""
    result: dict[str, Any] = page.evaluate(OVERFLOW)
    return result


def japanese_outside_lang_ja(page: Page) -> list[str]:
    """Text of an English page that is Japanese, outside elements marked ``lang="ja"`` (the
    language switch, and data that is Japanese by nature: a resident's name, an address)."""
    texts: list[str] = page.evaluate(
        """() => {
      const out = [];
      const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      while (walk.nextNode()) {
        const node = walk.currentNode;
        const host = node.parentElement;
        if (!host || host.closest('[lang]').getAttribute('lang') === 'ja') continue;
        if (host.closest('script, style, [hidden]')) continue;
        if (node.textContent.trim()) out.push(node.textContent.trim());
      }
      for (const e of document.querySelectorAll('input[placeholder], [aria-label], [title]')) {
        if (e.closest('[lang]').getAttribute('lang') === 'ja') continue;
        for (const a of ['placeholder', 'aria-label', 'title'])
          if (e.getAttribute(a)) out.push(e.getAttribute(a));
      }
      out.push(document.title);
      return out;
    }"""
    )
    return [t for t in texts if JAPANESE.search(t)]
