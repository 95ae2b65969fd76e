"""Take the README's screenshots: a server on the demo event, each screen in Chromium at tablet and laptop size
(1280×800 and 1366×768): sign-in, the door and its answers, the sell screen, a cart and a sale.

    .venv/bin/python docs/screenshots.py        (needs Debian's chromium; writes docs/*.png)
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import requests
from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.servers import Server, run_cli  # noqa: E402

DOCS = Path(__file__).resolve().parent
SIZES = {"tablet": (1280, 800), "laptop": (1366, 768)}
EVENT = "/api/v1/organizers/demo/events/festival"


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        data_dir = Path(directory) / "data"
        admin = run_cli(data_dir, "demo").strip().splitlines()[-1]
        server = Server(data_dir)
        try:
            api = requests.Session()
            api.headers["Authorization"] = f"Token {admin}"
            day = next(i for i in api.get(f"{server.url}{EVENT}/items/").json()["results"] if i["admission"])
            paid = {"status": "p", "payment_provider": "cash", "positions": [
                {"item": day["id"], "attendee_name_parts": {"given_name": "Ada", "family_name": "Lovelace"}}]}
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
                )
                for size, (width, height) in SIZES.items():
                    secret = api.post(f"{server.url}{EVENT}/orders/", json=paid).json()["positions"][0]["secret"]
                    page = browser.new_page(viewport={"width": width, "height": height}, base_url=server.url)
                    page.goto("/")
                    page.screenshot(path=DOCS / f"signin-{size}.png")
                    page.locator("#token").press_sequentially(admin)
                    with page.expect_navigation():
                        page.keyboard.press("Enter")
                    page.goto("/door/")
                    page.screenshot(path=DOCS / f"door-{size}.png")
                    for code, name in ((secret, "ok"), (secret, "refused"), ("NOSUCHTICKET", "unknown")):
                        page.keyboard.type(code)
                        page.keyboard.press("Enter")
                        page.wait_for_selector(f'#result[data-result="{name}"]')
                        page.screenshot(path=DOCS / f"door-{name}-{size}.png")
                    sell(page, size)
                    page.close()
                browser.close()
        finally:
            server.stop()


def sell(page, size: str) -> None:
    """The sell screen: the tiles, a cart of three lines with names and cash given, and the sale."""
    page.goto("/sell/")
    page.screenshot(path=DOCS / f"sell-{size}.png")
    page.locator('label:has-text("Screen printing") input').check()
    page.get_by_role("button", name="+ Add Festival pass").click()
    page.wait_for_function("document.querySelectorAll('.line').length == 1")
    page.get_by_role("button", name="+ Add Day ticket").click()
    page.wait_for_function("document.querySelectorAll('.line').length == 2")
    page.get_by_role("button", name="Add Festival T-shirt M").click()
    page.wait_for_function("document.querySelectorAll('.line').length == 3")
    names = page.locator("input[name^=name-]")
    names.nth(0).fill("Ada Lovelace")
    names.nth(1).fill("Grace Hopper")
    page.get_by_label("Vegetarian").check()
    page.locator("#given").fill("150")
    page.screenshot(path=DOCS / f"sell-cart-{size}.png")
    page.get_by_role("button", name="Paid in cash").click()
    page.wait_for_selector("#order-code")
    page.screenshot(path=DOCS / f"sell-sold-{size}.png")


if __name__ == "__main__":
    main()
