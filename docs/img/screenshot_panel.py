"""Open a page in headless Chromium, open the perfkit panel of the debug toolbar, screenshot it."""

import sys

from playwright.sync_api import sync_playwright

url, out = sys.argv[1], sys.argv[2]
with sync_playwright() as p:
    browser = p.chromium.launch(
        executable_path="/usr/bin/chromium",
        args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    )
    page = browser.new_page(viewport={"width": 1400, "height": 820})
    page.goto(url)
    link = page.locator("a.PerfkitPanel")
    link.scroll_into_view_if_needed()
    link.click()
    page.wait_for_selector("#PerfkitPanel table.perfkit-findings", timeout=15000)
    page.wait_for_timeout(500)
    page.screenshot(path=out)
    browser.close()
