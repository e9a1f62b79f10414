"""Your own data in Chromium: clicks on the decision boundary add and erase points (also while playing on the
live stream), and a CSV uploaded through the real file input shows its points. Screenshot of an uploaded
data set: test-artifacts/user-data-upload.png."""

from __future__ import annotations

import math
import re

from playwright.sync_api import Page, expect
from test_browser import TIMEOUT, assert_clean, choose, pause, play

BOUNDARY = '.backprop-live-plot[data-chart="boundary"]'
# Points drawn in the boundary chart, per kind ("train" / "test"): the marker traces' lengths.
POINTS_JS = """(kind) => {
    const host = document.querySelector('.backprop-live-plot[data-chart="boundary"]');
    if (!host || !host.data) return -1;
    return host.data.filter(t => (t.name || '').startsWith(kind + ':')).reduce((n, t) => n + t.x.length, 0);
}"""
PLANE_JS = """() => {
    const host = document.querySelector('.backprop-live-plot[data-chart="boundary"]');
    const xa = host._fullLayout.xaxis, ya = host._fullLayout.yaxis, box = host.getBoundingClientRect();
    return {left: box.left + xa._offset, top: box.top + ya._offset, width: xa._length, height: ya._length,
            x: xa.range, y: ya.range};
}"""


def points(page: Page, kind: str = "train") -> int:
    return page.evaluate(POINTS_JS, kind)


def wait_points(page: Page, kind: str, count: int) -> None:
    page.wait_for_function(f"() => ({POINTS_JS})('{kind}') === {count}", timeout=TIMEOUT)


def click_plane(page: Page, x1: float, x2: float, shift: bool = False) -> None:
    """Click the plane at data coordinates (x1, x2)."""
    plane = page.evaluate(PLANE_JS)
    (x_low, x_high), (y_low, y_high) = plane["x"], plane["y"]
    px = plane["left"] + (x1 - x_low) / (x_high - x_low) * plane["width"]
    py = plane["top"] + (y_high - x2) / (y_high - y_low) * plane["height"]
    if shift:
        page.keyboard.down("Shift")
    try:
        page.mouse.click(px, py)
    finally:
        if shift:
            page.keyboard.up("Shift")


def sidebar_counts(page: Page) -> tuple[int, int]:
    """(training, test) points from the sidebar's caption for your own data."""
    text = page.locator('[data-testid="stSidebar"]').inner_text()
    found = re.search(r"([\d,]+) points \(([\d,]+) training, ([\d,]+) test\)", text)
    assert found, text
    return int(found.group(2).replace(",", "")), int(found.group(3).replace(",", ""))


def test_clicks_add_and_erase_points_and_work_while_playing(page: Page, artifacts_dir):
    train = points(page)
    assert train > 0
    choose(page, "w_click_mode", "Add blue · class 1")
    click_plane(page, -5.0, 5.0)
    wait_points(page, "train", train + 1)
    expect(page.locator('[data-testid="stSidebar"]')).to_contain_text(f"({train + 1} training", timeout=TIMEOUT)
    # The point is where the click was, in the blue class's trace.
    blue = page.evaluate(f"""() => document.querySelector('{BOUNDARY}').data
        .filter(t => t.name === 'train: blue').flatMap(t => t.x.map((x, i) => [x, t.y[i]]))""")
    assert any(abs(x + 5.0) < 0.1 and abs(y - 5.0) < 0.1 for x, y in blue), blue[-3:]
    # Shift-click: the other class (orange).
    click_plane(page, 5.0, -5.0, shift=True)
    wait_points(page, "train", train + 2)
    orange = page.evaluate(f"""() => document.querySelector('{BOUNDARY}').data
        .filter(t => t.name === 'train: orange').flatMap(t => t.x.map((x, i) => [x, t.y[i]]))""")
    assert any(abs(x - 5.0) < 0.1 and abs(y + 5.0) < 0.1 for x, y in orange)
    # Erase the first one again.
    choose(page, "w_click_mode", "Erase points")
    click_plane(page, -5.0, 5.0)
    wait_points(page, "train", train + 1)
    assert sidebar_counts(page)[0] == train + 1
    # While playing (frames on the live stream), a click still lands and training goes on.
    choose(page, "w_click_mode", "Add orange · class 0")
    play(page)
    click_plane(page, -5.5, -5.5)
    wait_points(page, "train", train + 2)
    pause(page)
    assert sidebar_counts(page)[0] == train + 2
    page.screenshot(path=str(artifacts_dir / "user-data-clicks.png"))
    assert_clean(page)


def test_a_csv_uploaded_through_the_file_input_shows_its_points(page: Page, artifacts_dir, tmp_path):
    rows = ["x1,x2,label,split"]
    for i in range(40):  # a "smile": two eyes (blue) and a mouth (orange); every fifth point a test point
        split = "test" if i % 5 == 0 else "train"
        if i < 10:
            rows.append(f"{-2.5 + (i % 3) * 0.3:.2f},{2.5 + (i // 3) * 0.3:.2f},1,{split}")
        elif i < 20:
            rows.append(f"{2.0 + (i % 3) * 0.3:.2f},{2.5 + ((i - 10) // 3) * 0.3:.2f},1,{split}")
        else:
            angle = 3.14159 * (i - 20) / 19
            rows.append(f"{-4 * math.cos(angle):.2f},{-1 - 2.5 * math.sin(angle):.2f},0,{split}")
    csv_file = tmp_path / "smile.csv"
    csv_file.write_text("\n".join(rows) + "\n")
    page.get_by_text("Points as a CSV file (upload, download)").click()
    page.locator('[data-testid="stSidebar"] input[type="file"]').set_input_files(str(csv_file))
    wait_points(page, "train", 32)
    wait_points(page, "test", 8)
    expect(page.locator('[data-testid="stAlert"]').filter(has_text="Loaded 'smile.csv'")).to_be_visible(timeout=TIMEOUT)
    assert sidebar_counts(page) == (32, 8)
    page.wait_for_timeout(500)
    page.screenshot(path=str(artifacts_dir / "user-data-upload.png"))
    # A bad file: a message naming the row; the points stay.
    bad = tmp_path / "bad.csv"
    bad.write_text("x1,x2,label\n1,2,0\n9,2,1\n")
    page.locator('[data-testid="stSidebar"] input[type="file"]').set_input_files(str(bad))
    expect(page.locator('[data-testid="stAlert"]').filter(has_text="Row 3, column A (x1): 9 is outside")).to_be_visible(
        timeout=TIMEOUT
    )
    wait_points(page, "train", 32)  # the chart may be redrawn below the message: the same points
    assert sidebar_counts(page) == (32, 8)
    assert_clean(page)


def test_a_click_in_pick_mode_opens_the_walkthrough_on_the_nearest_training_point(page: Page):
    # The training point farthest from every other point (training or test): a click on it cannot mean another.
    x1, x2 = page.evaluate(f"""() => {{
        const traces = document.querySelector('{BOUNDARY}').data.filter(t => /^(train|test):/.test(t.name || ''));
        const all = traces.flatMap(t => t.x.map((x, i) => [x, t.y[i], t.name.startsWith('train')]));
        let best = null, bestGap = -1;
        for (const [x, y, train] of all) {{
            if (!train || Math.abs(x) > 5 || Math.abs(y) > 5) continue;
            const gap = Math.min(...all.filter(p => p[0] !== x || p[1] !== y).map(p => Math.hypot(p[0] - x, p[1] - y)));
            if (gap > bestGap) {{ bestGap = gap; best = [x, y]; }}
        }}
        return best;
    }}""")
    click_plane(page, x1, x2)
    shown = page.get_by_text(re.compile(r"Training row \d+: the point \("))
    expect(shown).to_be_visible(timeout=TIMEOUT)
    found = re.search(r"the point \((-?[\d.]+), (-?[\d.]+)\)", shown.inner_text())
    assert found and abs(float(found.group(1)) - x1) < 0.01 and abs(float(found.group(2)) - x2) < 0.01, found
    assert_clean(page)
