"""The relay's customer page, driven in a real headless browser (Chromium, through
chromedriver and Selenium): with the keyboard, a customer enters their key, sees their two
seats, frees one, turns an offline request into a machine file and downloads it.

Usage: customer_page.py RELAY_URL KEY SEAT_TO_FREE REQUEST_FILE DOWNLOAD_DIR
(CHROMIUM and CHROMEDRIVER name the browser and its driver; Debian's by default.)
Prints "customer page: 0 failures" last, or fails with the reason.
"""

import os
import sys
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait


def browser(download_dir):
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(flag)
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": download_dir, "download.prompt_for_download": False},
    )
    service = webdriver.ChromeService(
        executable_path=os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
    )
    driver = webdriver.Chrome(options=options, service=service)
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": download_dir}
    )
    return driver


def rows(driver):
    return driver.find_elements(By.CSS_SELECTOR, "#seat-rows tr")


def main():
    url, key, seat_to_free, request_file, download_dir = sys.argv[1:6]
    driver = browser(download_dir)
    wait = WebDriverWait(driver, 15)
    try:
        driver.get(url + "/")
        assert driver.title == "Your license", driver.title
        # Every control is reached through its label.
        for control in ("license-key", "request-file", "release-file"):
            label = driver.find_element(By.CSS_SELECTOR, f"label[for='{control}']")
            assert label.text.strip(), f"{control} has an empty label"
        driver.find_element(By.CSS_SELECTOR, "label[for='license-key']").click()
        field = driver.switch_to.active_element
        assert field.get_attribute("id") == "license-key", "the label focuses the field"
        # The key typed, and the form sent with Enter.
        field.send_keys(key, Keys.ENTER)
        wait.until(lambda d: len(rows(d)) == 2)
        status = driver.find_element(By.ID, "status")
        assert "2 seats" in status.text, status.text
        # The seat to free, found by its button's accessible name, pressed with the keyboard.
        button = driver.find_element(
            By.XPATH, f"//button[@aria-label=\"Free the seat of {seat_to_free}\"]"
        )
        button.send_keys(Keys.ENTER)
        wait.until(lambda d: len(rows(d)) == 1)
        assert "Freed the seat" in status.text and "1 seat left" in status.text, status.text
        assert seat_to_free not in driver.find_element(By.ID, "seat-rows").text

        # An offline computer's request becomes a machine file, downloaded.
        driver.find_element(By.ID, "request-file").send_keys(request_file)
        driver.find_element(By.CSS_SELECTOR, "#offline-form button").send_keys(Keys.ENTER)
        link = wait.until(ec.visibility_of_element_located((By.ID, "machine-file-link")))
        assert driver.switch_to.active_element == link, "the download link takes the focus"
        link.send_keys(Keys.ENTER)
        target = Path(download_dir) / "keyseat-machine-file.txt"
        deadline = time.monotonic() + 15
        while not (target.is_file() and target.read_text().strip().endswith("-----")):
            if time.monotonic() > deadline:
                raise AssertionError(f"no machine file downloaded to {download_dir}")
            time.sleep(0.1)
        assert target.read_text().startswith("-----BEGIN KEYSEAT MACHINE FILE-----")
    finally:
        driver.quit()
    print("customer page: 0 failures")


if __name__ == "__main__":
    main()
