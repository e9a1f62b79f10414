"""Your own data in the sidebar: what a click on the plane does, the CSV upload and downloads, and the way back.

Drawn by ``controls.data_controls`` (2D data only: CSV files hold 2D points, so the digit images get no
click modes and no upload; "Your own data" in the Dataset box switches them to the template's points). The
clicks themselves arrive from the boundary chart (assets/live/pointer.js -> live.py) and are handled by
``session.plane_click``; the data's rules are in playground/data/userdata.py.
"""

from __future__ import annotations

import json

import streamlit as st

from playground.data.userdata import (
    CLASS_NAMES,
    MAX_CSV_BYTES,
    MAX_USER_POINTS,
    csv_template,
    link_capacity,
    to_csv,
)
from playground.training.config import link_holds_user_data
from playground.ui.live import element_trigger_value, on_element_event
from playground.ui.session import (
    clear_user_data,
    click_modes,
    editable_data,
    load_user_csv,
    plane_click,
    set_click_mode,
)
from playground.ui.state import PlaygroundState
from playground.ui.widgets import bind

UPLOAD_KEY = "w_user_csv"


def click_mode_label(mode: str) -> str:
    if mode == "inspect":
        return "Pick a point to follow"
    if mode == "erase":
        return "Erase points"
    if mode == "add":
        return "Add a point with the value below"
    label = int(mode[3:])
    return f"Add {CLASS_NAMES[label]} · class {label}"


def click_hint(state: PlaygroundState) -> str:
    """One line under the boundary's title: what a click on the plane does now."""
    trainer = state.trainer
    mode = state.click_mode if state.click_mode in click_modes(trainer) else "inspect"
    if mode == "inspect":
        row = state.walkthrough_index
        if row is not None and 0 <= row < len(trainer.train_points):  # what the last click did, where it was
            return (
                f"Training point #{row} (ringed in black) is open in the backprop walkthrough below the charts ↓; "
                "click another circle to follow it instead."
            )
        return "Click a training point (circle) to follow it through one backprop step."
    if mode == "erase":
        return "Click a point to erase it; training goes on."
    if mode == "add":
        return f"Click to add a training point of value {state.click_value:g} (shift-click: {-state.click_value:g})."
    label, classes = int(mode[3:]), trainer.config.classes
    other = (1 - label if classes == 2 else label + 1) % classes
    return (
        (
            f"Click to add an {CLASS_NAMES[label]} training point (class {label}); "
            f"shift-click: {CLASS_NAMES[other]} (class {other})."
        )
        .replace("an blue", "a blue")
        .replace("an green", "a green")
        .replace("an pink", "a pink")
        .replace("an amber", "an amber")
    )


def dataset_changes(state: PlaygroundState, name: str) -> dict:
    """The config change for picking ``name`` in the Dataset box: "Your own data" starts from the points
    on screen (2D data) or from the template's few points (after the digit images)."""
    if name != "custom":
        return {"dataset": name}
    trainer = state.trainer
    if trainer.config.user_data is not None:
        return {}
    if trainer.inputs == "image":
        from playground.data.userdata import parse_csv

        return {"dataset": "custom", "user_data": parse_csv(csv_template())}
    data, _ = editable_data(trainer)
    return {"dataset": "custom", "user_data": data}


def upload_csv(state: PlaygroundState) -> None:
    """The uploader's callback: hand the file to ``session.load_user_csv`` (which says what went wrong)."""
    upload = st.session_state.get(UPLOAD_KEY)
    if upload is not None:
        st.session_state[CSV_EXPANDER_KEY] = True  # stays open: another file, or the download, is one click away
        load_user_csv(state, upload.name, upload.getvalue())


def own_data_controls(state: PlaygroundState) -> None:
    """The click-mode picker, the CSV expander and (for your own data) the way back to generated data."""
    trainer = state.trainer
    config = trainer.config
    if trainer.inputs != "image":
        modes = click_modes(trainer)
        if state.click_mode not in modes:
            state.click_mode = "inspect"
        bind("w_click_mode", state.click_mode)
        st.selectbox(
            "Click on the plane to:",
            modes,
            format_func=click_mode_label,
            key="w_click_mode",
            on_change=lambda: set_click_mode(state, st.session_state["w_click_mode"]),
            help="Pick a point to follow: the backprop walkthrough shows one training step on it, step by step. "
            "Adding or erasing points keeps the network training from where it is (weights, epoch and "
            "history stay). Shift-click adds the other class.",
        )
        if state.click_mode == "add":
            bind("w_click_value", float(state.click_value))
            st.number_input(
                "Value of a point added by a click",
                -1000.0,
                1000.0,
                step=0.1,
                key="w_click_value",
                on_change=lambda: setattr(state, "click_value", float(st.session_state["w_click_value"])),
            )
    if config.user_data is not None:
        data = config.user_data
        note = data.describe() + "."
        if not link_holds_user_data(config):
            note += (
                f" Too many for a link (it holds about {link_capacity(data):,}): share the model file "
                "(History table, export and import) instead."
            )
        else:
            note += " The link (URL) carries them."
        st.caption(note)
    if trainer.inputs != "image":  # CSV files hold 2D points: nothing to upload or download for images
        csv_expander(state)
    if config.user_data is not None:
        st.button(
            "Back to the generated dataset",
            on_click=clear_user_data,
            args=(state,),
            key="clear_user_data",
            width="stretch",
            help="Back to the generated points these came from (or the default dataset); the run restarts at epoch 0.",
        )


CSV_EXPANDER_KEY = "w_csv_open"  # the expander's open state: kept across the reruns an upload causes
CSV_LIMIT_TEXT = f"CSV, at most {MAX_CSV_BYTES // 1000} KB"


def csv_expander(state: PlaygroundState) -> None:
    """The CSV upload and downloads (2D points only), in an expander that stays open after an upload.

    The uploader's own "…MB per file" line states the server's limit for model files, not the CSV limit:
    style.css hides it (``.st-key-w_user_csv``) and the label says the real one (MAX_CSV_BYTES)."""
    trainer = state.trainer
    # With a key the open state lives in session_state, so the rerun after an upload (the sidebar above
    # changes: a caption, no point-count slider) does not fold it shut; ``upload_csv`` also opens it.
    with st.expander("Points as a CSV file (upload, download)", key=CSV_EXPANDER_KEY, on_change="rerun"):
        st.file_uploader(
            f"Upload points ({CSV_LIMIT_TEXT})",
            type=["csv", "txt"],
            key=UPLOAD_KEY,
            on_change=upload_csv,
            args=(state,),
            help=f"Columns x1, x2, label (0, 1, ...; or target for regression) and optionally split (train/test). "
            f"x1 and x2 from -6 to 6; at most {MAX_USER_POINTS:,} points and {MAX_CSV_BYTES // 1000} KB.",
        )
        # One per line: side by side, the sidebar cuts their labels.
        st.download_button(
            "Download these points (CSV)",
            lambda: to_csv(editable_data(state.trainer)[0]).encode(),
            file_name="points.csv",
            mime="text/csv",
            key="download_points",
            on_click="ignore",  # no rerun: one racing the download could drop its file
            width="stretch",
            help="Every point with its label and split (train/test): upload it to get the same points back.",
        )
        st.download_button(
            "Download a template (CSV)",
            csv_template("regression" if trainer.problem == "regression" else "binary"),
            file_name="points_template.csv",
            mime="text/csv",
            key="download_template",
            on_click="ignore",  # no rerun: one racing the download could drop its file
            width="stretch",
            help="A few example points to replace with yours (for regression the third column is 'target').",
        )


# ---- a click on the plane (assets/live/pointer.js sends "plane_click" from the boundary charts) ----------
def plane_clicked(state: PlaygroundState, key: str) -> None:
    """The trigger's value {x1, x2, shift, nonce} (data coordinates) goes to ``session.plane_click``."""
    if not key.startswith("boundary"):
        return
    value = element_trigger_value(key, "plane_click")
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return
    if not isinstance(value, dict):
        return
    plane_click(state, value.get("x1"), value.get("x2"), bool(value.get("shift")), str(value.get("nonce", ""))[:60])


on_element_event("plane_click", plane_clicked)
