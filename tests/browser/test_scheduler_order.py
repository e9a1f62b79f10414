"""The order in which a chart draws its payloads (assets/live/scheduler.js).

A live element gets payloads on two sockets: the stream's frames and Streamlit's script runs. Both number
them from one counter per element (``ChartSync.seq``), but they may arrive out of order: a frame built just
before a Pause can land after the Pause's script run. The page must draw the newest and never go back to an
older one; a whole figure that arrives starts afresh (a new server session numbers from 1 again).
"""

from __future__ import annotations

import os

import pytest

if os.environ.get("CI") != "true":  # in CI a missing playwright is an error, as a missing browser is
    pytest.importorskip("playwright.sync_api", reason="playwright is missing: pip install -r requirements-dev.txt")

from playwright.sync_api import Page  # noqa: E402

pytestmark = pytest.mark.browser

# Defines `scheduler`: the module the page itself loaded.
PRELUDE = """
    const url = performance.getEntriesByType('resource').map((entry) => entry.name)
        .find((name) => name.endsWith('/live/scheduler.js'));
    const scheduler = await import(url);
    const seqs = (host, batch) => scheduler.freshPayloads(host, batch).map((p) => (p.base ? `base ${p.seq}` : p.seq));
    const html = (seq) => ({kind: 'html', html: `<b>${seq}</b>`, seq, version: 'html'});
"""


def run(page: Page, body: str):
    return page.evaluate(f"async () => {{ {PRELUDE} {body} }}")


def test_updates_are_drawn_oldest_first_and_older_than_the_drawn_one_never(page: Page):
    result = run(
        page,
        """
        return {
            outOfOrder: seqs({__chart: {seq: 5}}, [html(8), html(7), html(4), html(5)]),
            nothingDrawn: seqs({__chart: {seq: null}}, [html(3), html(1), html(2)]),
            allOld: seqs({__chart: {seq: 9}}, [html(9), html(2)]),
        };
        """,
    )
    assert result == {"outOfOrder": [7, 8], "nothingDrawn": [1, 2, 3], "allOld": []}


def test_a_whole_figure_starts_afresh_and_only_newer_updates_follow_it(page: Page):
    result = run(
        page,
        """
        const base = (seq) => ({base: {data: [], layout: {}}, seq, version: 'v'});
        const extend = (seq) => ({extend: {update: {x: [], y: []}}, seq, version: 'v'});
        return {
            // A new server session: its figure is numbered 1, below what the chart drew.
            newSession: seqs({__chart: {seq: 57}}, [extend(60), base(1), extend(3), extend(2), extend(1)]),
            sameSeqAgain: seqs({__chart: {seq: 4}}, [base(4)]),
        };
        """,
    )
    assert result == {"newSession": ["base 1", 2, 3], "sameSeqAgain": ["base 4"]}


def test_the_status_shows_the_newest_numbers_when_an_older_frame_lands_after_them(page: Page):
    """The Pause case on the real status block: the newer payload first, the older after it."""
    expected = run(
        page,
        """
        const host = window.__backpropHosts.get('status');
        const drawn = host.__chart.seq;
        scheduler.enqueue(host, html(drawn + 2));
        scheduler.enqueue(host, html(drawn + 1));
        scheduler.runScheduler();  // or the run under way draws them
        return drawn + 2;
        """,
    )
    status = "window.__backpropHosts.get('status')"
    drawn = f"() => {status}.__pending.length === 0 && !window.__backpropScheduler.waiting.has({status})"
    page.wait_for_function(drawn)
    page.wait_for_timeout(100)  # nothing else arrives: an older payload drawn now would show
    shown = page.evaluate(f"() => ({{text: {status}.innerText, seq: {status}.__chart.seq}})")
    assert shown == {"text": str(expected), "seq": expected}
