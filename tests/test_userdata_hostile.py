"""The CSV loader under hostile input, property-based (Hypothesis), in the style of test_hostile_input.py:
arbitrary bytes and damaged valid files never raise anything but UserDataError (with a short reason), what
is accepted is usable data, a refused upload leaves the run as it was, and valid files round-trip."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from test_hostile_input import NASTY_TEXT, SETTINGS

from playground.data.userdata import MAX_CSV_BYTES, UserData, UserDataError, from_url_text, parse_csv, to_csv
from playground.training.trainer import Trainer
from playground.ui.session import create_state, load_user_csv

COORDINATES = st.integers(-600, 600).map(lambda hundredths: hundredths / 100)


@st.composite
def user_data(draw) -> UserData:
    """Valid data: 2-60 points in the plane, classification (2-5 classes) or regression, both splits non-empty."""
    n = draw(st.integers(2, 60))
    classes = draw(st.sampled_from([0, 2, 3, 5]))
    x1 = draw(st.lists(COORDINATES, min_size=n, max_size=n))
    x2 = draw(st.lists(COORDINATES, min_size=n, max_size=n))
    if classes:
        values = draw(st.lists(st.integers(0, classes - 1), min_size=n, max_size=n))
        values[:2] = [0, classes - 1]  # two classes at least, as an upload needs; the top one: it implies K
    else:
        values = draw(st.lists(st.floats(-1000, 1000, width=32), min_size=n, max_size=n))
    train = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    train[0], train[-1] = True, False
    return UserData(
        tuple(x1), tuple(x2), tuple(float(v) for v in values), tuple(train), max(classes, 2) if classes else 0
    )


@st.composite
def damaged_files(draw) -> bytes:
    """A valid file with one thing done to it: a cell replaced, bytes inserted or cut, a line dropped."""
    text = to_csv(draw(user_data()))
    lines = text.splitlines()
    how = draw(st.sampled_from(["cell", "insert", "truncate", "drop_line", "header", "separator"]))
    if how == "cell":
        row = draw(st.integers(0, len(lines) - 1))
        cells = lines[row].split(",")
        cells[draw(st.integers(0, len(cells) - 1))] = draw(NASTY_TEXT)
        lines[row] = ",".join(cells)
        text = "\n".join(lines)
    elif how == "insert":
        at = draw(st.integers(0, len(text)))
        return text[:at].encode() + draw(st.binary(min_size=1, max_size=20)) + text[at:].encode()
    elif how == "truncate":
        text = text[: draw(st.integers(0, len(text)))]
    elif how == "drop_line":
        del lines[draw(st.integers(0, len(lines) - 1))]
        text = "\n".join(lines)
    elif how == "header":
        lines[0] = draw(NASTY_TEXT)
        text = "\n".join(lines)
    else:
        text = text.replace(",", draw(st.sampled_from([";", "\t", " ", "|", ",,"])))
    return text.encode("utf-8", "surrogatepass")


CSV_FILES = st.one_of(
    st.binary(max_size=400),
    st.text(max_size=400).map(str.encode),
    damaged_files(),
    st.sampled_from([
        b"", b"\xef\xbb\xbf", b"\x00" * 50, b'x1,x2,label\n"1,2,0\n', b"x1,x2,label\n" + b"1,2,0\n" * 30_000,
        b"x1,x2,label\n1,2," + b"9" * 5000 + b"\n3,4,1\n", b"\xff\xfe" + "x1,x2,label\n1,2,0\n".encode("utf-16-le"),
        b" " * (MAX_CSV_BYTES + 1), b"x1,x2,label\r\r\n1,2,0\r3,4,1",
    ]),
)  # fmt: skip


@SETTINGS
@given(CSV_FILES)
def test_the_csv_loader_refuses_anything_else_with_a_reason(data):
    try:
        loaded = parse_csv(data)
    except UserDataError as error:
        assert str(error) and len(str(error)) < 500
        return
    # Accepted: then it is usable data a run can train on.
    assert isinstance(loaded, UserData) and len(loaded) >= 2 and 0 < loaded.n_train < len(loaded)
    Trainer(_config_for(loaded)).train(1)


def _config_for(data: UserData):
    from playground.training.config import TrainingConfig

    return TrainingConfig(dataset="custom", user_data=data, hidden_layers=(3,), activations=("tanh",))


@SETTINGS
@given(CSV_FILES)
def test_a_refused_upload_changes_nothing_in_the_session(data):
    state = create_state({"hidden_layers": "5", "learning_rate": "0.1"})
    state.trainer.train(3)
    before = (state.trainer, state.trainer.epoch, state.trainer.network.theta.copy(), state.config)
    if load_user_csv(state, "upload.csv", data):
        assert state.config.user_data is not None and state.trainer.epoch == 0
        return
    assert (state.trainer, state.trainer.epoch, state.config) == (before[0], before[1], before[3])
    assert np.array_equal(state.trainer.network.theta, before[2])
    message = state.messages[-1]
    assert message.level == "error" and "Your current data is unchanged" in message.text
    assert "Error" not in message.text.split(":")[0]  # a reason, not an exception's class name


@SETTINGS
@given(user_data())
def test_valid_data_round_trips_through_csv(data):
    assert parse_csv(to_csv(data)) == data


@SETTINGS
@given(st.one_of(NASTY_TEXT, st.binary(max_size=200).map(lambda b: b.decode("latin-1"))))
def test_the_link_decoder_refuses_anything_else_with_a_reason(text):
    try:
        from_url_text(text)
    except UserDataError as error:
        assert str(error) and len(str(error)) < 300
