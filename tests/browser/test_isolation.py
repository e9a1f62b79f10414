"""Two students at once: settings, data, play state and weights of one session never show in the other,
and a model exported from one changes nothing in the other (loading it there changes only that one).
"""

from __future__ import annotations

import json
import os
import re

import pytest

if os.environ.get("CI") != "true":
    pytest.importorskip("playwright.sync_api", reason="playwright is missing: pip install -r requirements-dev.txt")

from playwright.sync_api import Page, expect  # noqa: E402

from tests.browser.conftest import open_app  # noqa: E402
from tests.browser.test_browser import (  # noqa: E402
    TIMEOUT,
    assert_clean,
    button,
    choose,
    epoch,
    epoch_changes_within,
    pause,
    play,
    play_button,
    wait_epoch,
)

pytestmark = pytest.mark.browser


def metric(page: Page, label: str) -> str:
    return page.locator(f'[data-metric="{label}"] .bp-metric-value').inner_text()


def dataset_shown(page: Page) -> str:
    return page.locator(".st-key-w_dataset input[role=combobox]").input_value()


def snapshot(page: Page) -> dict:
    """What a student sees of their run."""
    return {
        "epoch": epoch(page),
        "train loss": metric(page, "Train loss"),
        "dataset": dataset_shown(page),
        "playing": play_button(page).inner_text() == "Pause",
        "url": re.sub(r"^https?://[^/]+", "", page.url),
    }


def open_export(page: Page) -> None:
    expander = page.get_by_text("History table, export and import", exact=True)
    expander.scroll_into_view_if_needed()
    expander.click()
    expect(button(page, "download_model_A")).to_be_visible(timeout=TIMEOUT)


def test_two_sessions_never_see_each_others_run(browser, app_server, tmp_path):
    first, second = open_app(browser, app_server.url), open_app(browser, app_server.url)
    try:
        untouched = snapshot(second)
        assert untouched["epoch"] == 0 and not untouched["playing"]

        # The first student changes the data and trains.
        choose(first, "w_dataset", "Spiral (2-5 arms)")
        wait_epoch(first, "e === 0")
        button(first, "step_n").click()
        wait_epoch(first, "e === 10")
        play(first)
        wait_epoch(first, "e >= 40")
        assert snapshot(second) == untouched
        assert not epoch_changes_within(second, 0, 500)
        pause(first)
        first.wait_for_timeout(300)
        trained = snapshot(first)
        assert trained["dataset"] == "Spiral (2-5 arms)" and "spiral" in trained["url"]
        assert trained["train loss"] != untouched["train loss"]

        # The first student exports the model: the file is theirs, and the second student's run is unchanged.
        open_export(first)
        with first.expect_download() as download:
            button(first, "download_model_A").click()
        model_path = tmp_path / "model.json"
        download.value.save_as(model_path)
        model = json.loads(model_path.read_text())
        assert model["config"]["dataset"] == "spiral" and model["epoch"] == trained["epoch"]
        assert snapshot(second) == untouched

        # The second student loads it: their run becomes that model; the first student's stays as it was.
        open_export(second)
        second.locator(".st-key-w_model_file input[type=file]").set_input_files(str(model_path))
        expect(second.get_by_text("Loaded 'model.json'", exact=False)).to_be_visible(timeout=TIMEOUT)
        dataset_box = second.locator(".st-key-w_dataset input[role=combobox]")
        expect(dataset_box).to_have_value("Spiral (2-5 arms)", timeout=TIMEOUT)
        assert snapshot(first) == trained
        button(second, "step_one").click()
        wait_epoch(second, "e === 1")
        assert snapshot(first) == trained
        assert_clean(first)
        assert_clean(second)
    finally:
        first.close()
        second.close()
