"""History: bounded rows by thinning, incremental reads and the DataFrame view."""

import numpy as np
import pandas as pd
import pytest

from playground.training.history import History

COLUMNS = ["epoch", "loss", "accuracy"]


def _row(epoch):
    return {"epoch": epoch, "loss": 1.0 / (1 + epoch), "accuracy": epoch % 7 / 7}


def _filled(max_rows, n_epochs):
    history = History(COLUMNS, max_rows)
    for epoch in range(n_epochs):
        history.append(_row(epoch))
    return history


@pytest.mark.parametrize("max_rows", [0, 2, 3, 5, 9, 101])
def test_max_rows_must_be_even_and_at_least_four(max_rows):
    with pytest.raises(ValueError):
        History(COLUMNS, max_rows)


@pytest.mark.parametrize("max_rows", [4, 8, 64])
def test_no_thinning_until_full(max_rows):
    history = _filled(max_rows, max_rows)
    assert len(history) == max_rows
    assert history.generation == 0 and history.stride == 1
    np.testing.assert_array_equal(history.column("epoch"), np.arange(max_rows))
    np.testing.assert_allclose(history.column("loss"), [1.0 / (1 + e) for e in range(max_rows)])


@pytest.mark.parametrize("max_rows", [4, 8, 64])
def test_first_thinning_keeps_every_other_row(max_rows):
    history = _filled(max_rows, max_rows + 1)
    assert history.generation == 1
    assert history.stride == 2
    expected = list(range(0, max_rows, 2)) + [max_rows]
    np.testing.assert_array_equal(history.column("epoch"), expected)
    # Rows travel whole: the other columns were thinned along with the epochs.
    np.testing.assert_allclose(history.column("loss"), [1.0 / (1 + e) for e in expected])


@pytest.mark.parametrize("max_rows", [4, 8, 16])
@pytest.mark.parametrize("n_epochs", [1, 37, 300])
def test_thinning_invariants_over_a_long_run(max_rows, n_epochs):
    history = History(COLUMNS, max_rows)
    nbytes = history.nbytes
    previous_generation = 0
    for epoch in range(n_epochs):
        history.append(_row(epoch))
        epochs = history.column("epoch").astype(int)
        assert len(history) <= max_rows
        assert np.all(np.diff(epochs) > 0)
        assert epochs[0] == 0
        assert epochs[-1] == epoch  # the newest row is always kept
        assert history.latest == _row(epoch)
        # Generation counts thinnings (at most one per append); the stride doubles with each.
        assert history.generation in (previous_generation, previous_generation + 1)
        previous_generation = history.generation
        assert history.stride == 2**history.generation
        # Kept: every multiple of the stride so far, plus the newest row.
        expected = sorted(set(range(0, epoch + 1, history.stride)) | {epoch})
        np.testing.assert_array_equal(epochs, expected)
        assert history.nbytes == nbytes  # memory fixed at construction
    if n_epochs > max_rows:
        assert history.generation >= 1
        assert len(history) >= max_rows // 2  # thinning never leaves the buffer mostly empty


@pytest.mark.parametrize("n_epochs", [5, 40])
def test_rows_after(n_epochs):
    history = _filled(8, n_epochs)
    epochs = history.column("epoch")
    np.testing.assert_array_equal(history.rows_after(-1), history.to_frame().to_numpy(dtype=float))
    assert history.rows_after(epochs[-1]).shape == (0, len(COLUMNS))
    for cut in [0, 0.5, epochs[len(epochs) // 2], epochs[-1] - 0.5]:
        rows = history.rows_after(cut)
        assert rows.shape[1] == len(COLUMNS)
        np.testing.assert_array_equal(rows[:, 0], epochs[epochs > cut])


def test_rows_after_is_incremental():
    history = History(COLUMNS, 64)
    seen = []
    for epoch in range(20):
        history.append(_row(epoch))
        new = history.rows_after(seen[-1] if seen else -1)
        seen.extend(new[:, 0].tolist())
    assert seen == list(range(20))


def test_to_frame_types_columns_and_cache():
    history = _filled(8, 11)
    frame = history.to_frame()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == COLUMNS
    assert frame["epoch"].dtype == np.int64
    assert frame["loss"].dtype == np.float64
    np.testing.assert_array_equal(frame["epoch"].to_numpy(), history.column("epoch").astype(np.int64))
    assert history.to_frame() is frame  # cached
    history.append(_row(11))
    new_frame = history.to_frame()
    assert new_frame is not frame
    assert new_frame["epoch"].iloc[-1] == 11
    assert frame["epoch"].iloc[-1] == 10  # the old frame was a copy, not a view of the buffer


def test_column_is_read_only():
    history = _filled(8, 3)
    column = history.column("loss")
    with pytest.raises(ValueError):
        column[0] = 99.0
    assert history.column("loss")[0] == 1.0


def test_missing_values_are_nan():
    history = History(COLUMNS, 4)
    history.append({"epoch": 0, "loss": 0.5})
    assert np.isnan(history.column("accuracy")[0])
    assert history.column("loss")[0] == 0.5
