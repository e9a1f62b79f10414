"""Your own data (playground/data/userdata.py): the CSV loader's every refusal names its row or column; the round
trips CSV -> data -> CSV, data -> URL -> data and through the model file; the config's rules; and the
trainer going on from its weights when points are added or erased (Trainer.edit_data)."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from playground.data.userdata import (
    MAX_CSV_BYTES,
    MAX_USER_POINTS,
    UserData,
    UserDataError,
    csv_template,
    fits_in_link,
    from_arrays,
    from_url_text,
    parse_csv,
    to_csv,
    to_url_text,
)
from playground.links.model_file import ModelFileError, model_from_json, model_to_json
from playground.training.config import MAX_QUERY_CHARS, TrainingConfig, clamp_values, from_query, to_query
from playground.training.trainer import Trainer


def refusal(text: str | bytes) -> str:
    with pytest.raises(UserDataError) as caught:
        parse_csv(text)
    return str(caught.value)


GOOD = "x1,x2,label,split\n-3,-3,0,train\n3,3,1,train\n-2,-2.5,0,test\n2.5,2,1,test\n"


# ---- the CSV loader: each bad case, named ------------------------------------------------------------
def test_a_good_file_is_read_with_its_split_and_classes():
    data = parse_csv(GOOD)
    assert data.x1 == (-3.0, 3.0, -2.0, 2.5) and data.x2 == (-3.0, 3.0, -2.5, 2.0)
    assert data.values == (0.0, 1.0, 0.0, 1.0) and data.train == (True, True, False, False)
    assert data.classes == 2 and data.problem == "binary"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", "empty"),
        ("\n \n\r\n", "empty"),
        ("x1,x2,label\n", "no points"),
        ("a,b,c\n1,2,0\n", "Row 1, column A"),
        ("x1,x2\n1,2\n", "neither 'label' nor 'target'"),
        ("x1,label\n1,0\n", "no 'x2' column"),
        ("x1,x2,label,target\n1,2,0,0.5\n", "both 'label' and 'target'"),
        ("x1,x2,label,colour\n1,2,0,red\n", "column D"),
        ("x1,x2,x1,label\n1,2,3,0\n", "appears twice"),
        ("x1,x2,label\n1,2,0\n3,4\n", "Row 3 has 2 values"),
        ("x1,x2,label\n1,2,0\n1,abc,1\n", "Row 3, column B (x2): 'abc' is not a number"),
        ("x1,x2,label\n1,2,0\n,2,1\n", "Row 3, column A (x1): empty"),
        ("x1,x2,label\n1,2,0\nnan,2,1\n", "Row 3, column A (x1): 'nan' is not a finite number"),
        ("x1,x2,label\n1,2,0\n1,inf,1\n", "Row 3, column B (x2): 'inf' is not a finite number"),
        ("x1,x2,label\n1,2,0\n1,1e999,1\n", "Row 3, column B (x2)"),
        ("x1,x2,label\n1,2,0\n7.5,2,1\n", "Row 3, column A (x1): 7.5 is outside the plane"),
        ("x1,x2,label\n1,2,0\n1,-6.01,1\n", "Row 3, column B (x2): -6.01 is outside the plane"),
        ("x1,x2,label\n1,2,0\n1,2,1.5\n", "Row 3, column C (label): '1.5' is not a class"),
        ("x1,x2,label\n1,2,0\n1,2,7\n", "Row 3, column C (label): '7' is not a class"),
        ("x1,x2,label\n1,2,0\n1,2,-1\n", "Row 3, column C (label)"),
        ("x1,x2,label\n1,2,1\n3,4,1\n5,5,1\n", "Every point has label 1"),
        ("x1,x2,label\n1,2,0\n", "only one point"),
        ("x1,x2,target\n1,2,0.5\n1,2,5000\n", "Row 3, column C (target): 5000 is too large"),
        ("x1,x2,label,split\n1,2,0,train\n1,2,1,maybe\n", "Row 3, column D (split): 'maybe'"),
        ("x1,x2,label,split\n1,2,0,train\n1,2,1,train\n", "no point as test"),
        ("x1,x2,label,split\n1,2,0,test\n1,2,1,test\n", "no point as train"),
        ('x1,x2,label\n1,2,0\n"1,2,1\n', "not a readable CSV"),
        ("x1,x2,label\n1_0,2,0\n1,2,1\n", "Row 2, column A (x1): '1_0' is not a number"),
    ],
)
def test_each_bad_file_is_refused_naming_the_row_or_column(text, expected):
    assert expected in refusal(text)


def test_a_file_that_is_not_text_is_refused_naming_the_byte():
    assert "not a text (UTF-8) CSV file: byte 13 (row 2)" in refusal(b"x1,x2,label\n\xff\xfe\x00garbage")


def test_a_huge_file_is_refused_with_the_stated_limit():
    text = "x1,x2,label\n" + "1.25,-2.5,0\n" * (MAX_CSV_BYTES // 10)
    message = refusal(text)
    assert f"at most {MAX_CSV_BYTES // 1000} KB" in message and f"{MAX_USER_POINTS:,} points" in message


def test_too_many_points_names_the_first_row_over_the_limit():
    text = "x1,x2,label\n" + "1,2,0\n3,4,1\n" * (MAX_USER_POINTS // 2 + 1)
    assert len(text) < MAX_CSV_BYTES
    assert f"Row {MAX_USER_POINTS + 2:,} is point number {MAX_USER_POINTS + 1:,}" in refusal(text)


def test_bom_crlf_semicolons_decimal_commas_quotes_blank_lines_and_upper_case_are_read():
    text = '\ufeffX1;X2;Label;Split\r\n"-3,5";-3;0;Train\r\n\r\n3;3,25;1;TRAIN\r\n-2;-2;0;test\r\n2;2;1;test;\r\n'
    data = parse_csv(text.encode("utf-8"))
    assert data.x1 == (-3.5, 3.0, -2.0, 2.0) and data.x2 == (-3.0, 3.25, -2.0, 2.0)
    assert data.train == (True, True, False, False)
    tabs = parse_csv(GOOD.replace(",", "\t"))
    assert tabs == parse_csv(GOOD)
    assert parse_csv(GOOD.encode("utf-16")) == parse_csv(GOOD)  # Excel's "Unicode text"


def test_rows_are_numbered_as_a_spreadsheet_counts_them_blank_lines_included():
    assert "Row 5, column A (x1)" in refusal("x1,x2,label\n1,2,0\n\n3,4,1\nbad,1,0\n")


def test_without_a_split_column_the_points_are_split_by_the_fraction_and_seed():
    text = "x1,x2,label\n" + "".join(f"{i / 20:.2f},0,{i % 2}\n" for i in range(100))
    half = parse_csv(text, train_fraction=0.5, seed=3)
    assert half.n_train == 50
    assert parse_csv(text, train_fraction=0.5, seed=3) == half  # the seed decides
    assert parse_csv(text, train_fraction=0.5, seed=4).train != half.train
    assert parse_csv(text, train_fraction=0.7, seed=3).n_train == 70


def test_coordinates_are_kept_to_two_decimals_and_labels_decide_the_classes():
    data = parse_csv("x1,x2,label\n1.23456,-0.004,0\n2,2,3\n")
    assert data.x1[0] == 1.23 and data.x2[0] == 0.0
    assert data.classes == 4 and data.problem == "multiclass"


def test_the_templates_are_valid_files_of_their_kind():
    assert parse_csv(csv_template()).problem == "binary"
    regression = parse_csv(csv_template("regression"))
    assert regression.problem == "regression" and regression.classes == 0


# ---- round trips ---------------------------------------------------------------------------------------
def _generated_user_data(dataset="spiral", n_classes=3, n_points=300) -> UserData:
    trainer = Trainer(TrainingConfig(dataset=dataset, n_classes=n_classes, n_points=n_points, noise=0.3))
    data, _ = from_arrays(
        trainer.train_points, trainer.y_train, trainer.test_points, trainer.y_test, trainer.config.classes, dataset
    )
    return data


@pytest.mark.parametrize("dataset, n_classes", [("circle", 2), ("spiral", 3), ("blobs", 5), ("bumps", 0)])
def test_csv_round_trip_keeps_points_labels_and_split(dataset, n_classes):
    data = _generated_user_data(dataset, max(n_classes, 2))
    text = to_csv(data)
    again = parse_csv(text)
    assert again == data
    assert to_csv(again) == text


@pytest.mark.parametrize("dataset, n_classes", [("circle", 2), ("blobs", 4), ("plane", 0)])
def test_url_round_trip_keeps_the_data_exactly(dataset, n_classes):
    data = _generated_user_data(dataset, max(n_classes, 2), n_points=200)
    assert from_url_text(to_url_text(data)) == data
    config = TrainingConfig(dataset="custom", user_data=data)
    query = to_query(config)
    assert "user_data" in query and sum(len(k) + len(v) for k, v in query.items()) <= MAX_QUERY_CHARS
    parsed, problems = from_query(query)
    assert problems == [] and parsed == config


def test_data_too_big_for_a_link_is_left_out_and_opening_the_link_says_so():
    data = _generated_user_data("circle", 2, n_points=2000)
    assert not fits_in_link(data)
    query = to_query(TrainingConfig(dataset="custom", user_data=data))
    assert "user_data" not in query and query["dataset"] == "custom"
    config, problems = from_query(query)
    assert config.dataset == "circle" and config.user_data is None
    assert len(problems) == 1 and "model file" in problems[0]


@pytest.mark.parametrize("text", ["", "abc", "!!!!", to_url_text(parse_csv(GOOD))[:-5], "A" * 3000])
def test_a_damaged_link_is_ignored_with_a_message_and_the_rest_of_the_link_applies(text):
    config, problems = from_query({"dataset": "custom", "user_data": text, "learning_rate": "0.1"})
    assert config.user_data is None and config.learning_rate == 0.1
    assert any("user_data" in problem for problem in problems)


def test_the_model_file_keeps_the_data_and_the_weights():
    data = _generated_user_data("blobs", 3)
    config = TrainingConfig(dataset="custom", user_data=data, hidden_layers=(5,), activations=("relu",))
    trainer = Trainer(config)
    trainer.train(3)
    loaded, weights, epoch = model_from_json(model_to_json(config, trainer.get_weights(), trainer.epoch))
    assert loaded == config and loaded.user_data.based_on == "blobs" and epoch == 3
    again = Trainer(loaded)
    np.testing.assert_array_equal(again.train_points, trainer.train_points)
    np.testing.assert_array_equal(again.y_test, trainer.y_test)


def test_a_model_file_with_damaged_data_is_refused_naming_the_data():
    data = parse_csv(GOOD)
    config = TrainingConfig(dataset="custom", user_data=data)
    document = json.loads(model_to_json(config, Trainer(config).get_weights(), 0))
    document["config"]["user_data"]["points"][1][0] = 99.0  # outside the plane
    with pytest.raises(ModelFileError, match="config.user_data"):
        model_from_json(json.dumps(document))
    document["config"]["user_data"] = {"points": "nope"}
    with pytest.raises(ModelFileError, match="config.user_data"):
        model_from_json(json.dumps(document))


# ---- the config's rules ----------------------------------------------------------------------------------
def test_scripts_get_a_value_error_for_data_that_cannot_be_used():
    data = parse_csv(GOOD)
    with pytest.raises(ValueError, match="needs user_data"):
        TrainingConfig(dataset="custom")
    with pytest.raises(ValueError, match="applies only to dataset='custom'"):
        TrainingConfig(dataset="circle", user_data=data)
    with pytest.raises(ValueError, match="user_data must be"):
        TrainingConfig(dataset="custom", user_data=[(1, 2, 0)])
    with pytest.raises(ValueError, match="in the plane"):
        UserData((1.0, 9.0), (0.0, 0.0), (0.0, 1.0), (True, False))
    with pytest.raises(ValueError, match="one training and one test point"):
        UserData((1.0, 2.0), (0.0, 0.0), (0.0, 1.0), (True, True))
    with pytest.raises(ValueError, match="labels must be whole numbers from 0 to 1"):
        UserData((1.0, 2.0), (0.0, 0.0), (0.0, 2.0), (True, False))


def test_the_config_implies_the_problem_and_sizes_from_the_data():
    data = parse_csv("x1,x2,label,split\n1,1,0,train\n2,2,2,train\n3,3,1,test\n")
    config = TrainingConfig(dataset="custom", user_data=data, n_classes=2, n_points=900)
    assert (config.problem, config.classes, config.n_outputs, config.n_examples, config.n_train) == (
        "multiclass", 3, 3, 3, 2,
    )  # fmt: skip


def test_the_clamping_paths_never_raise_for_data_and_dataset_mismatches():
    data = parse_csv(GOOD)
    config, messages = clamp_values({"dataset": "circle", "user_data": data})
    assert config.user_data is None and config.dataset == "circle"
    config, messages = clamp_values({"dataset": "custom", "user_data": "not data"})
    assert config.dataset == "circle" and config.user_data is None and messages


# ---- the trainer goes on training on edited data -------------------------------------------------------
def test_editing_the_data_keeps_weights_optimiser_epoch_and_history():
    trainer = Trainer(TrainingConfig(dataset="xor", optimizer="adam", hidden_layers=(6,), activations=("tanh",)))
    trainer.train(7)
    theta, moments = trainer.network.theta.copy(), [m.copy() for m in vars(trainer.optimizer).values()
                                                    if isinstance(m, np.ndarray)]  # fmt: skip
    rows = len(trainer.history)
    data, _ = from_arrays(trainer.train_points, trainer.y_train, trainer.test_points, trainer.y_test, 2, "xor")
    edited = data.with_point(-5.5, 5.5, 1)
    assert trainer.edit_data(edited) == "edited"
    assert trainer.epoch == 7 and len(trainer.history) == rows
    np.testing.assert_array_equal(trainer.network.theta, theta)
    kept = [m for m in vars(trainer.optimizer).values() if isinstance(m, np.ndarray)]
    assert moments and all(np.array_equal(a, b) for a, b in zip(moments, kept))
    assert trainer.y_train.shape[0] == data.n_train + 1
    np.testing.assert_array_equal(trainer.train_points[-1], [-5.5, 5.5])
    assert trainer.config.dataset == "custom" and trainer.config.user_data == edited


def test_training_goes_on_on_the_edited_set_and_its_loss_is_the_engines():
    trainer = Trainer(TrainingConfig(dataset="circle", batch_size=1000, hidden_layers=(5,), activations=("tanh",)),
                      record_every=1)  # fmt: skip
    trainer.train(5)
    data, _ = from_arrays(trainer.train_points, trainer.y_train, trainer.test_points, trainer.y_test, 2, "circle")
    for _ in range(40):  # erase 40 training points: a smaller set
        data = data.without_point(0)
    trainer.edit_data(data)
    before = trainer.network.theta.copy()
    trainer.train(1)
    assert trainer.epoch == 6 and not np.array_equal(trainer.network.theta, before)
    # One full-batch epoch is one step on exactly the edited training set's gradient.
    check = Trainer(replace(trainer.config), record_every=1)
    check.network.theta[...] = before
    loss, grad = check.network.loss_and_gradient(check.X_train, check.y_train, "none", 0.0)
    np.testing.assert_allclose(trainer.network.theta, before - 0.03 * grad, rtol=1e-12, atol=1e-14)
    # The history row is measured on the edited set: the loss the engine computes there.
    check.network.theta[...] = trainer.network.theta
    expected, _ = check.network.loss_and_gradient(check.X_train, check.y_train, "none", 0.0)
    assert trainer.history.column("train_loss")[-1] == pytest.approx(expected, rel=1e-12)
    assert trainer.evaluate()["train_loss"] == pytest.approx(expected, rel=1e-12)


def test_data_of_another_shape_restarts_the_run():
    trainer = Trainer(TrainingConfig(dataset="circle"))
    trainer.train(4)
    assert trainer.edit_data(parse_csv(csv_template("regression"))) == "data"
    assert trainer.epoch == 0 and trainer.problem == "regression"


def test_edits_refuse_to_remove_the_last_training_or_test_point_but_may_leave_one_class():
    data = parse_csv(GOOD)
    data = data.without_point(0)
    with pytest.raises(UserDataError, match="last training point"):
        data.without_point(0)
    data = data.without_point(1)
    with pytest.raises(UserDataError, match="last test point"):
        data.without_point(1)
    assert set(data.values) == {1.0} and data.classes == 2  # class 0 erased: still a two-class problem


def test_added_points_are_clipped_to_the_plane_and_kept_to_two_decimals():
    data = parse_csv(GOOD).with_point(7.0, -1.23456, 1)
    assert (data.x1[-1], data.x2[-1], data.values[-1], data.train[-1]) == (6.0, -1.23, 1.0, True)
