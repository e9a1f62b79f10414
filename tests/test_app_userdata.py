"""Your own data in the app (AppTest): CSV uploads through the real file uploader, good and bad; clicks on the
plane dispatched through the session transitions in each click mode; the way back to generated data.

AppTest cannot click inside the live chart (a custom component): the tests call ``session.plane_click``,
the transition the chart's "plane_click" trigger calls (own_data.plane_clicked), with the data coordinates
the browser would send; the browser test (tests/browser/test_user_data_browser.py) clicks for real.
"""

from __future__ import annotations

import numpy as np
from test_app import assert_clean, chart_texts, start, state_of

from playground.data.userdata import csv_template, parse_csv, to_csv
from playground.ui import own_data, session

GOOD = b"x1,x2,label,split\n-3,-3,0,train\n3,3,1,train\n-2.5,-1,0,train\n1,2.5,1,train\n-2,-2.5,0,test\n2.5,2,1,test\n"


def texts(elements) -> str:
    return " ".join(element.value for element in elements)


def upload(at, name: str, data: bytes):
    at.file_uploader(key=own_data.UPLOAD_KEY).set_value((name, data, "text/csv"))
    return at.run()


def test_a_good_csv_upload_becomes_the_data_and_round_trips():
    at = start()
    at = upload(at, "mine.csv", GOOD)
    assert_clean(at)
    state = state_of(at)
    config = state.trainer.config
    assert config.dataset == "custom" and len(config.user_data) == 6 and config.user_data.n_train == 4
    np.testing.assert_array_equal(state.trainer.test_points, [[-2.0, -2.5], [2.5, 2.0]])
    assert "Loaded 'mine.csv': 6 points (4 training, 2 test)" in texts(at.success)
    assert parse_csv(to_csv(config.user_data)) == config.user_data == parse_csv(GOOD)  # download -> upload
    assert at.query_params["user_data"] and at.query_params["dataset"] == "custom"  # the link carries them
    assert "6 points (4 training, 2 test), 2 classes. The link (URL) carries them." in texts(at.caption)


def test_a_bad_csv_upload_is_a_message_naming_the_row_and_the_data_stays():
    at = start({"dataset": "xor"})
    at.button(key="step_one").click().run()
    state = state_of(at)
    trainer, theta = state.trainer, state.trainer.network.theta.copy()
    at = upload(at, "broken.csv", b"x1,x2,label\n1,2,0\n3,oops,1\n")
    assert_clean(at)
    assert "Row 3, column B (x2): 'oops' is not a number." in texts(at.error)
    assert "Your current data is unchanged" in texts(at.error)
    state = state_of(at)
    assert state.trainer is trainer and state.trainer.config.dataset == "xor" and state.trainer.epoch == 1
    np.testing.assert_array_equal(state.trainer.network.theta, theta)
    at = upload(at, "one-class.csv", b"x1,x2,label\n1,2,1\n3,4,1\n")
    assert "Every point has label 1" in texts(at.error) and state_of(at).trainer.config.dataset == "xor"


def test_the_upload_callback_reads_the_widgets_file(monkeypatch):
    """own_data.upload_csv, the uploader's on_change, with a fake upload object as Streamlit hands it over."""

    class FakeUpload:
        name = "fake.csv"

        def getvalue(self) -> bytes:
            return csv_template("regression").encode()

    class FakeStreamlit:
        session_state = {own_data.UPLOAD_KEY: FakeUpload()}

    state = session.create_state({})
    monkeypatch.setattr(own_data, "st", FakeStreamlit)
    own_data.upload_csv(state)
    assert state.trainer.config.dataset == "custom" and state.trainer.problem == "regression"


def test_clicks_add_points_of_the_chosen_class_and_training_goes_on():
    at = start({"dataset": "gaussians"})
    at.button(key="step_n").click().run()
    state = state_of(at)
    epoch, rows, n_train = state.trainer.epoch, len(state.trainer.history), state.trainer.y_train.shape[0]
    at.selectbox(key="w_click_mode").set_value("add1").run()
    assert state.click_mode == "add1"
    assert "shift-click: orange (class 0)" in chart_texts(at)  # the hint under the boundary says what a click does
    session.plane_click(state, -4.0, 4.5, False, "click-1")
    session.plane_click(state, -4.0, 4.5, False, "click-1")  # the same click delivered twice counts once
    session.plane_click(state, 4.0, -4.5, True, "click-2")  # shift: the other class
    at.run()
    assert_clean(at)
    trainer = state.trainer
    assert trainer.config.dataset == "custom" and trainer.config.user_data.based_on == "gaussians"
    assert trainer.y_train.shape[0] == n_train + 2 and trainer.epoch == epoch and len(trainer.history) == rows
    np.testing.assert_array_equal(trainer.train_points[-2:], [[-4.0, 4.5], [4.0, -4.5]])
    np.testing.assert_array_equal(trainer.y_train[-2:], [1.0, 0.0])
    assert "now your own data" in texts(at.info)
    at.button(key="step_one").click().run()
    assert state.trainer.epoch == epoch + 1


def test_erase_removes_the_nearest_point_and_inspect_picks_a_training_point():
    at = start({"dataset": "moons"})
    state = state_of(at)
    target = state.trainer.train_points[7].copy()
    session.set_click_mode(state, "inspect")
    session.plane_click(state, target[0] + 0.01, target[1], False, "pick")
    assert state.walkthrough_index == 7 and state.walkthrough_step == 0
    follow = state.trainer.train_points[7].copy()
    erased = state.trainer.train_points[3].copy()
    session.set_click_mode(state, "erase")
    session.plane_click(state, erased[0], erased[1] + 0.02, False, "erase")
    at.run()
    assert_clean(at)
    trainer = state.trainer
    assert trainer.y_train.shape[0] + trainer.y_test.shape[0] == 499
    assert not np.any(np.all(np.isclose(trainer.train_points, np.round(erased, 2)), axis=1))
    # The walkthrough still follows the same point, one row up.
    assert state.walkthrough_index == 6
    np.testing.assert_allclose(trainer.train_points[6], np.round(follow, 2))
    session.plane_click(state, trainer.train_points[6][0], trainer.train_points[6][1], False, "erase-followed")
    assert state.walkthrough_index is None  # the followed point was erased


def test_digits_have_no_click_modes_and_the_way_back_restores_the_generated_dataset():
    at = start({"dataset": "digits"})
    assert not any(box.key == "w_click_mode" for box in at.selectbox)
    assert session.click_modes(state_of(at).trainer) == ["inspect"]
    # CSV files hold 2D points: no uploader (nor downloads) for the images; the Dataset box switches
    assert not [u for u in at.file_uploader if u.key == own_data.UPLOAD_KEY]
    assert not [e for e in at.expander if "CSV" in e.label]
    at.selectbox(key="w_dataset").set_value("custom").run()
    assert_clean(at)
    assert state_of(at).trainer.inputs == "points"
    assert [u for u in at.file_uploader if u.key == own_data.UPLOAD_KEY]  # 2D points again: the upload is back
    at.button(key="clear_user_data").click().run()
    assert_clean(at)
    assert state_of(at).trainer.config.dataset == "circle" and state_of(at).trainer.config.user_data is None


def test_choosing_your_own_data_in_the_dataset_box_starts_from_the_points_on_screen():
    at = start({"dataset": "xor", "n_points": "100"})
    before = state_of(at).trainer.train_points.copy()
    at.selectbox(key="w_dataset").set_value("custom").run()
    assert_clean(at)
    trainer = state_of(at).trainer
    assert trainer.config.dataset == "custom" and len(trainer.config.user_data) == 100
    np.testing.assert_allclose(trainer.train_points, np.round(before, 2))
    assert not any(slider.label == "Number of points" for slider in at.slider)


def test_the_smallest_data_set_and_a_regression_click_with_its_value():
    at = start()
    at = upload(at, "two.csv", b"x1,x2,target,split\n1,1,0.25,train\n-1,-1,-0.5,test\n")
    assert_clean(at)
    state = state_of(at)
    assert state.trainer.problem == "regression" and state.trainer.y_train.shape == (1,)
    at.selectbox(key="w_click_mode").set_value("add").run()
    at.number_input(key="w_click_value").set_value(0.75).run()
    session.plane_click(state, 2.0, -3.0, False, "r1")
    session.plane_click(state, -2.0, 3.0, True, "r2")  # shift: the opposite value
    at.run()
    assert_clean(at)
    np.testing.assert_array_equal(state.trainer.y_train, [0.25, 0.75, -0.75])


def test_in_compare_mode_an_edit_changes_both_runs_and_keeps_both_going():
    at = start({"dataset": "blobs", "n_classes": "3"})
    at.toggle(key="w_compare").set_value(True).run()
    state = state_of(at)
    at.button(key="step_n").click().run()
    epochs = [trainer.epoch for _, trainer in state.runs]
    session.set_click_mode(state, "add2")
    session.plane_click(state, 0.5, 0.5, True, "c1")  # shift with three classes: the next class, 0
    at.run()
    assert_clean(at)
    a, b = state.trainer, state.trainer_b
    assert a.config.user_data == b.config.user_data and a.y_train[-1] == 0.0
    assert [trainer.epoch for _, trainer in state.runs] == epochs
    np.testing.assert_array_equal(a.train_points, b.train_points)


def test_a_link_with_points_opens_on_them_and_a_damaged_one_says_so():
    from playground.data.userdata import to_url_text

    data = parse_csv(GOOD)
    at = start({"dataset": "custom", "user_data": to_url_text(data)})
    assert_clean(at)
    assert state_of(at).trainer.config.user_data == data
    at = start({"dataset": "custom", "user_data": to_url_text(data)[:-6]})
    assert_clean(at)
    assert state_of(at).trainer.config.dataset == "circle"
    warnings = texts(at.warning)
    assert "user_data" in warnings and "came without its points" in warnings


def test_the_uploader_states_the_csv_limit_and_stays_open_after_an_upload():
    from pathlib import Path

    from playground.data.userdata import MAX_CSV_BYTES

    at = start()
    uploader = at.file_uploader(key=own_data.UPLOAD_KEY)
    assert f"at most {MAX_CSV_BYTES // 1000} KB" in uploader.label == "Upload points (CSV, at most 100 KB)"
    # Streamlit's own "5MB per file" line (the server's limit, for model files) is hidden by style.css
    style = (Path(__file__).resolve().parents[1] / "assets" / "style.css").read_text()
    assert '.st-key-w_user_csv [data-testid="stFileUploaderDropzoneInstructions"]' in style
    assert at.session_state[own_data.CSV_EXPANDER_KEY] is False  # folded at first
    at = upload(at, "mine.csv", GOOD)
    assert_clean(at)
    # the expander's open state is kept in session_state (key) and the upload opens it: the rerun after an
    # upload (the sidebar above it changes) no longer folds it shut
    assert at.session_state[own_data.CSV_EXPANDER_KEY] is True
    assert next(e for e in at.expander if "CSV" in e.label).proto.expanded is True
