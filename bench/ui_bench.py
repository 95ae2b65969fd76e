"""The screens as a person sees them, in Chromium: the door's scan round trip and each screen's first load.

    python bench/ui_bench.py [--positions 20000] [--scans 300] [--repeats 50]

Round trip: from the keydown of Enter in the door's scan field to the result panel replaced in the page (a
MutationObserver), and to the start of the next animation frame, which paints it; measured in the page with
performance.now(). The POST's share comes from its Resource Timing entry. First load: a fresh browser context
(empty cache, the session cookie only) opens the screen; the sum of the Resource Timing sizes of the document
and everything it loaded: sign-in, the door, and the sell and orders search screens of the built-in demo's
festival (added to the same store with `kiosk-tickets demo`, so the sell page has its tiles); the overview of
the benchmark's event after the scans (its check-in chart drawn, its figures over every ticket) and of the
demo's festival (no sales: the charts' places say so). Needs Debian's chromium (/usr/bin/chromium) and the
test extra (Playwright).
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from checkin_bench import seed_tickets
from common import EVENT, ORGANIZER, environment_line, free_port, running, serve_command
from playwright.sync_api import Browser, BrowserContext, sync_playwright

# Chromium launched as the screen tests launch it (tests/servers.py), from the repository's root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.servers import launch_chromium  # noqa: E402

TARGET_KB = 150
WARM_UP = 5
SCAN_TIMEOUT_MS = 10_000

# Installed in the door's page: each Enter in #scan starts a record, the replaced #result ends it.
PROBE = """(timeoutMs) => {
  performance.setResourceTimingBufferSize(100000);
  const bench = window.__bench = {pending: null, done: [], waiters: []};
  const input = document.getElementById("scan");
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.target !== input) return;
    bench.pending = {start: performance.now(), panel: document.getElementById("result")};
  }, true);
  function finish(record) {
    bench.pending = null;
    bench.done.push(record);
    const waiters = bench.waiters.splice(0);
    waiters.forEach((resolve) => resolve(record));
  }
  new MutationObserver(() => {
    const pending = bench.pending;
    const panel = document.getElementById("result");
    if (!pending || pending.dom !== undefined || !panel || panel === pending.panel) return;
    pending.dom = performance.now();
    pending.result = panel.getAttribute("data-result");
    requestAnimationFrame(() => {
      const frame = performance.now();
      const post = performance.getEntriesByType("resource").find(
        (entry) => entry.initiatorType === "fetch" && entry.startTime >= pending.start);
      performance.clearResourceTimings();
      finish({
        result: pending.result,
        dom: pending.dom - pending.start,
        frame: frame - pending.start,
        fetch: post ? post.responseEnd - post.startTime : null,
        server: post ? post.responseStart - post.requestStart : null,
      });
    });
  }).observe(document.querySelector("main"), {childList: true, subtree: true, attributes: true,
                                               attributeFilter: ["data-result"]});
  bench.next = (count) => new Promise((resolve, reject) => {
    if (bench.done.length >= count) return resolve(bench.done[count - 1]);
    bench.waiters.push(() => { if (bench.done.length >= count) resolve(bench.done[count - 1]); });
    setTimeout(() => reject(new Error("no answer painted in time")), timeoutMs);
  });
}"""

# Everything the page loaded: the document's own entry and each resource's.
LOADED = """() => performance.getEntriesByType("navigation").concat(performance.getEntriesByType("resource"))
  .map((entry) => ({name: entry.name, transfer: entry.transferSize, body: entry.encodedBodySize}))"""


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def summary(values: list[float]) -> str:
    return f"p50 {statistics.median(values):.1f} ms, p99 {percentile(values, 0.99):.1f} ms"


def signed_in(browser: Browser, url: str, token: str) -> dict:
    """Sign in as a badge scanner does (the token's keys, then Enter) and return the context's cookies."""
    context = browser.new_context(base_url=url)
    page = context.new_page()
    page.goto("/")
    page.locator("#token").press_sequentially(token)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    state = context.storage_state()
    context.close()
    return state


def scan_round_trips(context: BrowserContext, list_id: int, secrets: list[str]) -> list[dict]:
    """Scan each code into the door's field (the text, then Enter) and return one record per scan."""
    page = context.new_page()
    page.goto(f"/door/{list_id}/entry/")
    page.wait_for_selector('#result[data-result="idle"]')
    page.evaluate(PROBE, SCAN_TIMEOUT_MS)
    records = []
    for count, secret in enumerate(secrets, start=1):
        page.keyboard.insert_text(secret)
        page.keyboard.press("Enter")
        records.append(page.evaluate("(count) => window.__bench.next(count)", count))
    page.close()
    return records


def first_load(browser: Browser, url: str, state: dict | None, path: str) -> tuple[list[dict], int]:
    """Open `path` in a fresh context (empty cache); return its Resource Timing entries and the responses seen."""
    context = browser.new_context(base_url=url, storage_state=state)
    page = context.new_page()
    responses = []
    page.on("response", lambda response: responses.append(response.url))
    answer = page.goto(path, wait_until="networkidle")
    # A refusal, an error page or a redirect to sign-in would be measured as if it were the screen.
    if answer is None or answer.status != 200 or not page.url.endswith(path):
        raise RuntimeError(f"{path} answered {answer.status if answer else None} at {page.url}")
    entries = page.evaluate(LOADED)
    context.close()
    return entries, len(responses)


def add_demo(data_dir: Path) -> str:
    """The built-in demo organizer and festival beside the benchmark's; return its admin token."""
    result = subprocess.run(
        [sys.executable, "-m", "kiosk_tickets", "--data-dir", str(data_dir), "demo"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


def add_checkin_list(port: int, token: str, name: str) -> None:
    """A second list through the API, so that the door asks which one."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = json.dumps({"name": name, "all_products": True, "limit_products": []})
    connection.request(
        "POST",
        f"/api/v1/organizers/{ORGANIZER}/events/{EVENT}/checkinlists/",
        body=body,
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    response = connection.getresponse()
    response.read()
    connection.close()
    if response.status != 201:
        raise RuntimeError(f"creating a check-in list answered {response.status}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--positions", type=int, default=20000)
    parser.add_argument("--scans", type=int, default=300, help="measured scans, repeats included")
    parser.add_argument("--repeats", type=int, default=50, help="of the scans, how many scan a ticket again")
    args = parser.parse_args()
    firsts = args.scans - args.repeats
    if not 0 < args.repeats < args.scans or firsts + WARM_UP > args.positions:
        parser.error("need 0 < repeats < scans and scans - repeats + 5 <= positions")
    print(f"screens in Chromium through waitress (8 threads), {args.positions} tickets, {environment_line()}")
    with tempfile.TemporaryDirectory() as directory:
        data_dir = Path(directory)
        started = time.perf_counter()
        token, list_id = seed_tickets(data_dir, args.positions)
        demo = add_demo(data_dir)
        print(f"seeded in {time.perf_counter() - started:.1f} s")
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        with running(serve_command(data_dir, port, 8), port), sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            try:
                state = signed_in(browser, url, token)
                demo_state = signed_in(browser, url, demo)

                # Warm-up scans (tickets from the end of the range) first, then first entries, then repeats.
                warm = [f"secret{args.positions - 1 - n:012d}" for n in range(WARM_UP)]
                first = [f"secret{n:012d}" for n in range(firsts)]
                again = [f"secret{n * firsts // args.repeats:012d}" for n in range(args.repeats)]
                context = browser.new_context(base_url=url, storage_state=state)
                records = scan_round_trips(context, list_id, warm + first + again)[WARM_UP:]
                context.close()
                expected = ["ok"] * firsts + ["refused"] * args.repeats
                wrong = sum(1 for record, kind in zip(records, expected, strict=True) if record["result"] != kind)
                print(
                    f"door scan round trip, {args.scans} scans ({firsts} first entries, {args.repeats} repeats)"
                    + (f", {wrong} with an unexpected result" if wrong else "")
                    + ":"
                )
                for label, chosen in (
                    ("all scans", records),
                    ("first entries", records[:firsts]),
                    ("repeats", records[firsts:]),
                ):
                    print(
                        f"  {label}: Enter to result in the page {summary([r['dom'] for r in chosen])}; "
                        f"to the next frame {summary([r['frame'] for r in chosen])}"
                    )
                posts = [r for r in records if r["fetch"] is not None]
                if posts:
                    print(
                        f"  of which the POST (fetch start to response end): {summary([r['fetch'] for r in posts])}; "
                        f"waiting for the server (request sent to first byte): "
                        f"{summary([r['server'] for r in posts])}"
                    )

                print(f"first load of each screen, empty cache (target {TARGET_KB} KB; 1 KB = 1,024 bytes):")
                screens = [
                    ("sign-in", None, "/"),
                    ("door scan", state, f"/door/{list_id}/entry/"),
                    ("sell (demo festival's tiles)", demo_state, "/sell/festival/"),
                    ("orders search", demo_state, "/orders/festival/"),
                    (f"overview ({args.positions} tickets, the scans' day)", state, f"/overview/{EVENT}/"),
                    ("overview (demo festival, no sales)", demo_state, "/overview/festival/"),
                ]
                loads = [(name, *first_load(browser, url, cookies, path)) for name, cookies, path in screens]
                add_checkin_list(port, token, "Exit")
                loads.append(("door choose", *first_load(browser, url, state, "/door/")))
                for name, entries, seen in loads:
                    transfer = sum(entry["transfer"] for entry in entries)
                    body = sum(entry["body"] for entry in entries)
                    print(
                        f"  {name}: {transfer / 1024:.1f} KB transferred ({body / 1024:.1f} KB of bodies) "
                        f"in {len(entries)} responses ({seen} seen by Playwright) — target {TARGET_KB} KB"
                    )
            finally:
                browser.close()


if __name__ == "__main__":
    main()
