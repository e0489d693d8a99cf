"""A real headless Chromium at phone width: open the station link, play, download, tap "Đã phát", see the report."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from portal_support import Server

pytestmark = pytest.mark.slow
CHROMIUM, DRIVER = shutil.which("chromium") or "/usr/bin/chromium", shutil.which("chromedriver") or "/usr/bin/chromedriver"
if not (Path(CHROMIUM).exists() and Path(DRIVER).exists()):
    pytest.skip("needs Chromium and its driver: sudo apt-get install chromium chromium-driver (CI's .ci/run does this)",
                allow_module_level=True)
webdriver = pytest.importorskip("selenium.webdriver", reason="needs selenium: pip install -e '.[test]'")

PASSWORD = "mật-khẩu-biên-tập"


def wait_for(condition, timeout=20.0, step=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("timed out waiting")


@pytest.fixture
def browser(tmp_path):
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    opts = Options()
    opts.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--mute-audio",
                 "--autoplay-policy=no-user-gesture-required", "--window-size=360,740", "--disable-dev-shm-usage"):
        opts.add_argument(flag)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    opts.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                           "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 360, "height": 740, "deviceScaleFactor": 2, "mobile": True})
    driver.downloads = downloads
    yield driver
    driver.quit()


def test_an_operator_on_a_phone_plays_downloads_and_confirms_and_the_editor_sees_it(campaign_copy, browser):
    from mutagen.mp3 import MP3
    from openpyxl import load_workbook
    from selenium.webdriver.common.by import By

    from broadcast.portal.accounts import init_links, set_editor_password
    from broadcast.portal.database import Database

    db = Database(campaign_copy / "portal.sqlite3")
    links = {l.station: l.link for l in init_links(db, [("tan-phu", "a"), ("tan-phu-phu-lam", "b")])}
    set_editor_password(db, "so-tt", PASSWORD)
    db.close()
    server = Server(campaign_copy / "schedule.yaml")
    try:
        browser.get(server.url + links["tan-phu-phu-lam"])
        assert "Đài truyền thanh xã Phú Lâm" in browser.find_element(By.TAG_NAME, "h1").text
        assert browser.execute_script("return window.innerWidth") == 360
        assert browser.execute_script("return document.documentElement.scrollWidth") <= 360  # no sideways scrolling
        audio = browser.find_element(By.TAG_NAME, "audio")
        browser.execute_script("arguments[0].play()", audio)
        wait_for(lambda: browser.execute_script("return arguments[0].currentTime", audio) > 0.5)
        browser.find_element(By.PARTIAL_LINK_TEXT, "Tải về").click()
        mp3 = wait_for(lambda: [p for p in browser.downloads.glob("*.mp3")])[0]
        wait_for(lambda: not list(browser.downloads.glob("*.crdownload")))
        assert mp3.name == "tan-phu-phu-lam_2023-07-01_17h00.mp3" and MP3(mp3).info.length > 5
        browser.find_element(By.CSS_SELECTOR, "button.big").click()
        wait_for(lambda: "Đã ghi nhận" in browser.page_source)
        assert "Đã ghi: Đã phát" in browser.find_element(By.CSS_SELECTOR, ".s.done").text

        browser.delete_all_cookies()
        browser.get(server.url + "/editor/login")
        browser.find_element(By.NAME, "name").send_keys("so-tt")
        browser.find_element(By.NAME, "password").send_keys(PASSWORD)
        browser.find_element(By.CSS_SELECTOR, "button.big").click()
        wait_for(lambda: "Theo dõi chiến dịch" in browser.page_source)
        rows = [[td.text for td in tr.find_elements(By.TAG_NAME, "td")]
                for tr in browser.find_elements(By.CSS_SELECTOR, "#today tr")[1:]]
        assert rows[0][0] == "Đài Truyền thanh huyện Tân Phú" and rows[0][2:] == ["1", "0", "0"]  # not confirmed: first
        assert rows[1][0] == "Đài truyền thanh xã Phú Lâm" and rows[1][2:] == ["1", "1", "0"]
        browser.find_element(By.LINK_TEXT, "Báo cáo XLSX").click()
        xlsx = wait_for(lambda: [p for p in browser.downloads.glob("*.xlsx")])[0]
        wait_for(lambda: not list(browser.downloads.glob("*.crdownload")))
        rows = {r[0]: r for r in load_workbook(xlsx)["Theo đài"].iter_rows(values_only=True)}
        assert rows["tan-phu-phu-lam"][5] == 1 and rows["tan-phu"][5] == 0
    finally:
        server.stop()
