"""The pages for people, as a person sees them: real headless Chromium, on a phone."""

from pathlib import Path

import pytest
from conftest import Site, md, page

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def served(site: Site, start_server):
    site.write("a.txt", page("Night Ferry Returns", "The ferry sails again.", author="Tomas B"))
    site.write("b.md", md("Цены на хлеб выросли", "Хлеб подорожал на 5%.",
                          categories="['Экономика']", author="'Мария Лебедева'"))  # fmt: skip
    assert site.build().ok
    return start_server("serve")


def fits_the_screen(tab) -> bool:
    return tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_index_on_a_phone_lists_feeds_copies_addresses_and_previews_stories(
    served, browser, tmp_path: Path
):
    context = browser.new_context(**PHONE)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=served.url.rstrip("/"))
    tab = context.new_page()
    tab.goto(served.url)
    assert tab.locator("h1").inner_text() == "Example News: feeds"
    text = tab.locator("body").inner_text()
    for seen in ("Example News: latest news", "Night Ferry Returns", "Цены на хлеб выросли"):
        assert seen in text
    assert fits_the_screen(tab)
    tab.screenshot(path=str(tmp_path / "index-phone.png"), full_page=True)
    assert (tmp_path / "index-phone.png").stat().st_size > 10_000

    copy = tab.locator("button[data-copy]").first
    assert copy.is_visible()
    copy.tap()
    tab.wait_for_function("document.querySelector('button[data-copy]').textContent === 'Copied'")
    assert tab.evaluate("navigator.clipboard.readText()") == f"{served.url}feeds/main.rss"

    tab.locator("summary", has_text="category").click()  # the family, folded by default
    economy = tab.get_by_role("link", name="Example News: Экономика")
    assert economy.is_visible()
    economy.click()
    tab.wait_for_url("**/feeds/category/*.html")
    assert tab.locator("h1").inner_text() == "Example News: Экономика"
    assert tab.get_by_role("link", name="Цены на хлеб выросли").is_visible()
    assert "Night Ferry Returns" not in tab.locator("body").inner_text()
    assert fits_the_screen(tab)
    tab.screenshot(path=str(tmp_path / "preview-phone.png"), full_page=True)
    context.close()


def test_without_javascript_every_address_is_still_there(served, browser):
    context = browser.new_context(java_script_enabled=False, **PHONE)
    tab = context.new_page()
    tab.goto(served.url)
    addresses = tab.locator("input[readonly]")
    values = [addresses.nth(i).input_value() for i in range(addresses.count())]
    assert f"{served.url}feeds/main.json" in values
    assert not tab.locator("button[data-copy]").first.is_visible(), "no copy button without JS"
    context.close()
