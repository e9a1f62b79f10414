"""State transitions that draw nothing: they change ``PlaygroundState`` and its trainers, and say why.

The page sections (controls, guide, view, lens, export) draw widgets and call these from their
callbacks; nothing here draws. Creating the state from the URL, applying a config change, play,
pause, step, reset, lessons and compare mode, the replay epoch, and loading a saved model.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

import numpy as np
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from playground.links.model_file import ModelFileError, read_model
from playground.links.url import SHARED_FIELDS, parse_link
from playground.teaching.lessons import LESSONS
from playground.training.config import TrainingConfig, clamp_values, config_values, next_seed
from playground.training.trainer import Trainer
from playground.ui.state import STATE_KEY, PlaygroundState, SavedView, url_query

MAX_STEP_COUNT = 1000


# ---- changing the state while the stream may be training ----------------------------------------
def transition(change: Callable[..., Any]) -> Callable[..., Any]:
    """Run a state change under the session's lock, and hold the stream until the script has redrawn.

    Widget callbacks run before the script body (which holds the lock itself), while the live stream
    may be training a frame of the same run in its own thread.
    """

    @functools.wraps(change)
    def locked(state: PlaygroundState, *args, **kwargs):
        with state.lock:
            state.render_pending = True
            return change(state, *args, **kwargs)

    return locked


# ---- the session's state ----------------------------------------------------------------------
def create_state(query: dict[str, str | list[str]]) -> PlaygroundState:
    """A session's state from a link's parameters (``playground.links.url``): its runs, compare mode, lesson and
    hidden controls, paused at epoch 0; a warning per value ignored."""
    link = parse_link(query)
    state = PlaygroundState(trainer=Trainer(link.config_a))
    if link.lesson is not None:
        start_lesson(state, link.lesson, runs=(link.config_a, link.config_b))
        state.before_lesson = None  # no view before it: Close lesson goes to the default playground
    elif link.config_b is not None:
        state.trainer_b = Trainer(link.config_b)
    # The link's own hide list, even with a lesson (its link carries the lesson's): a URL round-trips.
    state.hidden_controls = link.hidden
    state.per_layer_activations = len(set(state.config.activations)) > 1
    for problem in link.problems:
        state.say("warning", problem)
    state.last_query = url_query(state)
    return state


@transition
def follow_link(state: PlaygroundState, query: dict[str, str | list[str]]) -> None:
    """Show the view of the link the browser went to (Back or Forward; ``ui._follow_navigation``), paused.

    Built as a new session's (``create_state``); the session keeps its live stream, charts and viewing
    preferences (``PlaygroundState.adopt_view``). A lesson reached this way from the playground closes back
    to the view it came from, as one chosen in the picker does.
    """
    view = create_state(query)
    if view.lesson is not None:
        view.before_lesson = state.before_lesson if state.lesson is not None else _saved_view(state)
    state.adopt_view(view)


def get_state() -> PlaygroundState:
    """This session's state, created on first use from the URL's parameters."""
    if STATE_KEY not in st.session_state:
        st.session_state[STATE_KEY] = create_state(st.query_params.to_dict())
    return st.session_state[STATE_KEY]


# ---- applying a change -------------------------------------------------------------------------
@transition
def apply_change(state: PlaygroundState, **changes: Any) -> None:
    """Apply config changes to the edited run (data and seeds to both runs); a failure keeps the old settings."""
    trainer = state.edited
    old_config = trainer.config
    try:
        new_config, moved = changed_config(old_config, changes)
        outcome = trainer.apply_config(new_config)
        sync_shared_settings(state, changes)
    except Exception as error:  # the app must never show a traceback
        rebuilt = Trainer(old_config)
        if trainer is state.trainer_b:
            state.trainer_b = rebuilt
        else:
            state.trainer = rebuilt
        state.restart_charts()
        state.say("error", f"That change could not be applied ({error}). The previous settings are kept.")
        return
    if outcome in ("data", "network", "restarted") or shared_changes(changes):
        state.restart_charts()
    if outcome == "restarted":
        state.say("info", "Training had diverged, so the run restarted at epoch 0 with the new setting.")
    for message in moved:
        state.say("warning", message)


def changed_config(config: TrainingConfig, changes: dict[str, Any]) -> tuple[TrainingConfig, list[str]]:
    """``config`` with ``changes``, each value clamped into the config's bounds table.

    Returns the config and a message per requested value that had to be moved. A setting that
    only stops applying (input features when the dataset becomes the digit images) is reset
    without a message: the control is hidden for that dataset.
    """
    new_config, messages = clamp_values(config_values(config) | changes)
    said = [m for m in messages if any(m.startswith(f"{name}=") for name in changes)]
    return new_config, said


# "+" adds a layer as wide as the widest so far: copying the last width made six clicks from [4, 2] a
# 4-2-2-2-2-2-2-2 chain, which ReLU + He leaves dead at epoch 0 (a 2-unit layer is all zero on every point
# by chance). With no hidden layer, the default network's width.
DEFAULT_LAYER_WIDTH = max(TrainingConfig().hidden_layers)


def added_layer_width(hidden: tuple[int, ...]) -> int:
    """The width of the layer "+" adds to ``hidden``: the widest so far, or DEFAULT_LAYER_WIDTH."""
    return max(hidden, default=DEFAULT_LAYER_WIDTH)


@transition
def set_layers(state: PlaygroundState, hidden: tuple[int, ...]) -> None:
    activations = state.config.activations
    fill = activations[-1] if activations else "tanh"
    activations = (activations + (fill,) * len(hidden))[: len(hidden)]
    apply_change(state, hidden_layers=hidden, activations=activations)


@transition
def new_weights(state: PlaygroundState) -> None:
    apply_change(state, weight_seed=next_seed(state.config.weight_seed))
    state.playing = False


# ---- playback --------------------------------------------------------------------------------
def lesson_epoch(state: PlaygroundState) -> int:
    """The epoch a lesson's stops count: the furthest run still training (a diverged run stays where it
    stopped, e.g. lesson 7's run A at epoch 1, while B goes on)."""
    active = [trainer.epoch for _, trainer in state.runs if not trainer.diverged]
    return max(active) if active else state.trainer.epoch


def next_lesson_stop(state: PlaygroundState) -> int | None:
    """The open lesson's next stop epoch after ``lesson_epoch`` (None: no lesson, or past its last stop).
    Play never trains past it and pauses there (pacing.train_frame); Step is not held."""
    lesson = LESSONS.get(state.lesson) if state.lesson else None
    if lesson is None:
        return None
    epoch = lesson_epoch(state)
    return next((stop for stop in lesson.stop_epochs if stop > epoch), None)


def lesson_stop_text(state: PlaygroundState, epoch: int, stopped: bool) -> str:
    """The message at a lesson's stop epoch: where the text looks, and what Play does next."""
    after = next_lesson_stop(state)
    then = f"Play goes on to epoch {after:,}." if after is not None else "Play goes on without stopping."
    if stopped:
        return f"Stopped at epoch {epoch:,}: this is where the lesson's text looks. {then}"
    return f"Epoch {epoch:,}: this is where the lesson's text looks. {then}"


def _all_diverged(state: PlaygroundState) -> bool:
    return all(trainer.diverged for _, trainer in state.runs)


def _none_can_train(state: PlaygroundState) -> bool:
    """Every run diverged or stopped early: Play and Step would train nothing. Says why when so."""
    if any(trainer.can_train for _, trainer in state.runs):
        return False
    if _all_diverged(state):
        state.say("warning", "Training has diverged: press Reset (or change a setting) to continue.")
    else:
        state.say(
            "info",
            "Early stopping ended this run (its test loss had stopped improving): press Reset, or raise the "
            "patience or turn early stopping off to train on from the best weights.",
        )
    return True


def _early_copy_of_a_click() -> bool:
    """Whether this callback runs in a fragment-only run (the live view's timer) although its button is
    outside the fragment.

    Streamlit 1.67 can deliver a click twice: once with the live view's timer request that left the
    browser just after the click, and again with the click's own full-app run. The second delivery
    runs the callback the button has *by then*: a Pause delivered twice paused, relabelled the button
    "Play", then played again (and a Step stepped twice). A click on these buttons always brings a
    full-app run, so the copy that arrives in a fragment run is the one to drop.
    """
    ctx = get_script_run_ctx()
    return bool(ctx is not None and ctx.fragment_ids_this_run)


@transition
def set_playing(state: PlaygroundState, playing: bool) -> None:
    """Play or pause. Takes the wanted state rather than toggling, and ignores the early copy of a
    click (see ``_early_copy_of_a_click``)."""
    if _early_copy_of_a_click():
        return
    if playing and _none_can_train(state):
        state.playing = False
        return
    if playing == state.playing:
        return
    state.playing = playing
    state.replay_epoch = None
    state.last_frame_time, state.epochs_per_second = None, 0.0


@transition
def step(state: PlaygroundState, epochs: int) -> None:
    """Train every run that has not diverged; a diverged run stays where it stopped."""
    if _early_copy_of_a_click():
        return
    if _none_can_train(state):
        return
    stop = next_lesson_stop(state)  # a step is explicit: not held at a lesson's stop, but it says so
    for _, trainer in state.runs:
        trainer.train(max(1, min(int(epochs), MAX_STEP_COUNT)))
    state.replay_epoch = None
    if not any(trainer.can_train for _, trainer in state.runs):
        state.playing = False
    elif stop is not None and lesson_epoch(state) == stop:
        state.say("toast", lesson_stop_text(state, stop, stopped=False))


@transition
def reset(state: PlaygroundState) -> None:
    if _early_copy_of_a_click():
        return
    for _, trainer in state.runs:
        trainer.reset()
    state.playing = False
    state.restart_charts()


@transition
def set_replay_epoch(state: PlaygroundState, epoch: int) -> None:
    """Show the run as it was at ``epoch`` (from snapshots); the latest epoch or later is live again."""
    state.replay_epoch = None if epoch >= state.trainer.epoch else epoch


# ---- lessons and compare mode ------------------------------------------------------------------
@transition
def start_lesson(
    state: PlaygroundState, key: str, runs: tuple[TrainingConfig, TrainingConfig | None] | None = None
) -> None:
    """Load a lesson's run(s), paused at epoch 0 (``runs``: a link's settings for run A and run B instead
    of the lesson's). The playground it replaces is kept for Close lesson (a lesson replacing a lesson
    keeps the playground before the first)."""
    lesson = LESSONS[key]
    config_a, config_b = runs if runs is not None else (lesson.config_a, lesson.config_b)
    if state.lesson is None:
        state.before_lesson = _saved_view(state)
    state.trainer = Trainer(config_a)
    state.trainer_b = Trainer(config_b) if config_b is not None else None
    state.editing = "A"
    state.lesson = key
    state.playing = False
    state.per_layer_activations = len(set(config_a.activations)) > 1
    state.hidden_controls = frozenset(lesson.hides)  # the controls beside the lesson's point
    state.show_landscape = state.show_landscape or lesson.shows_landscape
    state.lesson_text_open = False
    state.restart_charts()


def _saved_view(state: PlaygroundState) -> SavedView:
    return SavedView(state.trainer, state.trainer_b, state.editing, state.hidden_controls, state.per_layer_activations)


@transition
def close_lesson(state: PlaygroundState) -> None:
    """Back to the view the lesson replaced: its runs (paused where they were), compare mode and hidden
    controls. A lesson opened from a link replaced nothing: back to the default playground, as a session
    without a link starts (a half of a compare lesson, alone, would show nothing the lesson meant).
    No lesson open (a click delivered twice): nothing to close."""
    if state.lesson is None:
        return
    saved = state.before_lesson or SavedView(Trainer(TrainingConfig()), None, "A", frozenset(), False)
    state.trainer, state.trainer_b, state.editing = saved.trainer, saved.trainer_b, saved.editing
    state.hidden_controls, state.per_layer_activations = saved.hidden_controls, saved.per_layer_activations
    state.lesson = state.before_lesson = None
    state.playing = False
    state.restart_charts()


@transition
def set_lesson_text_open(state: PlaygroundState, text_open: bool) -> None:
    state.lesson_text_open = bool(text_open)


@transition
def show_all_controls(state: PlaygroundState) -> None:
    """Draw every control again (a link or a lesson had hidden some)."""
    state.hidden_controls = frozenset()


@transition
def set_compare(state: PlaygroundState, on: bool) -> None:
    """Turn compare mode on (B starts as a copy of A) or off (keep A)."""
    if on and state.trainer_b is None:
        state.trainer_b = Trainer(state.trainer.config)
        state.trainer.reset()
        state.editing = "B"
        state.say(
            "info",
            "Compare mode: run B starts as a copy of run A. Change B's settings in the sidebar, "
            "then press Play: both runs train on the same data from the same seeds.",
        )
    elif not on:
        state.trainer_b = None
        state.editing = "A"
    state.playing = False
    state.restart_charts()


def shared_changes(changes: dict) -> dict:
    """The part of a change that compare mode applies to both runs."""
    return {name: value for name, value in changes.items() if name in SHARED_FIELDS}


def sync_shared_settings(state: PlaygroundState, changes: dict) -> None:
    """Apply data and seed changes to the run that was not edited, so A and B stay comparable."""
    shared = shared_changes(changes)
    if not shared or state.trainer_b is None:
        return
    other = state.trainer if state.edited is state.trainer_b else state.trainer_b
    other.apply_config(changed_config(other.config, shared)[0])


# ---- loading a saved model ----------------------------------------------------------------------
@transition
def load_model_file(state: PlaygroundState, name: str, data: bytes) -> bool:
    """Replace the session's run by the model in ``data``; on any problem say why and change nothing."""
    try:
        model = read_model(data)
        trainer = model.trainer()  # starts from the loaded parameters: Reset returns to them
        config, epoch = model.config, model.epoch
    except ModelFileError as error:
        state.say("error", f"Could not load {name!r}: {error} Nothing was changed.")
        return False
    except Exception as error:  # never a traceback, whatever the file holds
        state.say("error", f"Could not load {name!r} ({type(error).__name__}: {error}). Nothing was changed.")
        return False
    state.trainer, state.trainer_b, state.editing, state.lesson = trainer, None, "A", None
    state.playing = False
    state.restart_charts()
    state.say(
        "success",
        f"Loaded {name!r}: a {'-'.join(map(str, config.hidden_layers)) or 'no-hidden-layer'} network saved "
        f"at epoch {epoch:,}. Its weights are the new starting point: Reset returns to them.",
    )
    return True


# ---- the network diagram -----------------------------------------------------------------------
@transition
def set_diagram_colouring(state: PlaygroundState, colouring: str | None) -> None:
    """Colour the diagram by "weights" or "gradients" (None, sent when the chosen one is clicked again: keep it)."""
    if colouring in ("weights", "gradients"):
        state.diagram_colouring = colouring


@transition
def set_first_layer_view(state: PlaygroundState, view: str | None) -> None:
    """Draw the first layer of image data as its weights W ("weights") or their change W - W0 ("change");
    None (the chosen one clicked again) keeps it."""
    if view in ("weights", "change"):
        state.first_layer_view = view


@transition
def set_show_diagram(state: PlaygroundState, shown: bool) -> None:
    state.show_diagram = bool(shown)


@transition
def edit_parameter(
    state: PlaygroundState, run: str, kind: str, layer: int, row: int, col: int, value: float, what: str = ""
) -> bool:
    """Set one weight or bias of a run from the diagram; the run goes on from it (playing or not).
    ``what`` names the parameter in the message (the diagram's unit names).

    Not in a replay (the picture is of the past) and not after divergence (the weights are NaN).
    """
    trainer = state.trainer_b if run == "B" and state.trainer_b is not None else state.trainer
    if state.replay_epoch is not None:
        state.say(
            "warning", "That is an earlier epoch (replay): move the replay slider to the right end to edit weights."
        )
        return False
    if trainer.diverged:
        state.say("warning", "Training has diverged: press Reset before editing weights.")
        return False
    try:
        old = trainer.set_parameter(kind, layer, row, col, value)
    except ValueError as error:
        state.say("error", f"That weight was not changed: {error}.")
        return False
    what = what or f"{kind} ({row + 1}, {col + 1}) of layer {layer + 1}"
    state.say(
        "success",
        f"Set {what} from {old:.4g} to {value:.4g} at epoch {trainer.epoch:,}. Training continues from here; "
        "Reset returns to the initial weights.",
    )
    return True


# ---- the backprop walkthrough (one training step on one example; drawn by walkthrough_panel.py) ------
# It follows run A (compare mode too). Every transition clamps the row and the step; ``follow_walkthrough``
# also runs when the panel is drawn, so a data edit that removed the point closes the walkthrough.
def follow_walkthrough(state: PlaygroundState) -> int | None:
    """The training row the walkthrough follows now (None: closed), after checking it still exists.

    A row set by someone else (a click on the plane) is adopted; the same row holding another point
    (the data changed) is looked up by its point, and closed with a message when it is gone.
    """
    from playground.teaching.walkthrough import GIVEN, step_count

    trainer, index = state.trainer, state.walkthrough_index
    if index is None:
        state.walkthrough_followed = None
        return None
    if index == GIVEN:  # the digit drawn on the pad
        example = state.walkthrough_example
        if example is None or trainer.inputs != "image" or example[0].size != trainer.network.layer_sizes[0]:
            state.walkthrough_index = state.walkthrough_followed = state.walkthrough_example = None
            state.walkthrough_message = ("info", "The drawn digit does not fit this network's inputs: it closed.")
            return None
        state.walkthrough_step = min(max(int(state.walkthrough_step), 0), step_count(trainer.network) - 1)
        return GIVEN
    n_train = trainer.y_train.shape[0]
    points = trainer.train_points
    followed = state.walkthrough_followed
    if followed is not None and followed[0] == index:
        if index >= n_train or tuple(points[index]) != followed[1]:
            matches = [row for row in range(n_train) if tuple(points[row]) == followed[1]]
            if not matches:
                state.walkthrough_index = state.walkthrough_followed = None
                state.walkthrough_message = (
                    "info",
                    "The training point the walkthrough followed is no longer in the training set (the data "
                    "changed), so the walkthrough closed. Pick another point.",
                )
                return None
            index = state.walkthrough_index = matches[0]
    elif not (isinstance(index, int) and 0 <= index < n_train):
        state.walkthrough_index = state.walkthrough_followed = None
        state.walkthrough_message = (
            "warning",
            f"There is no training row {str(index)[:20]} (rows 0 to {n_train - 1}), so the walkthrough closed.",
        )
        return None
    state.walkthrough_followed = (index, tuple(points[index]))
    state.walkthrough_step = min(max(int(state.walkthrough_step), 0), step_count(trainer.network) - 1)
    return index


@transition
def open_walkthrough(state: PlaygroundState, index: Any) -> None:
    """Follow training row ``index`` from the first step; a row out of range moves to the nearest, with a message."""
    n_train = state.trainer.y_train.shape[0]
    try:
        wanted = float(index)
    except (TypeError, ValueError):
        state.walkthrough_message = ("warning", f"{str(index)[:60]!r} is not a training row number.")
        return
    if wanted != wanted:  # NaN
        state.walkthrough_message = ("warning", "That is not a training row number.")
        return
    row = int(min(max(round(wanted), 0), n_train - 1))
    state.walkthrough_message = None
    if row != wanted:
        state.walkthrough_message = (
            "warning",
            f"There is no training row {str(index)[:20]}: the training set has rows 0 to {n_train - 1}, "
            f"so the walkthrough shows row {row}.",
        )
    state.walkthrough_index, state.walkthrough_followed, state.walkthrough_step = row, None, 0
    state.walkthrough_example = None
    follow_walkthrough(state)


@transition
def open_random_walkthrough(state: PlaygroundState) -> None:
    import secrets

    open_walkthrough(state, secrets.randbelow(state.trainer.y_train.shape[0]))


@transition
def close_walkthrough(state: PlaygroundState) -> None:
    state.walkthrough_index = state.walkthrough_followed = state.walkthrough_message = None
    state.walkthrough_step = 0


@transition
def move_walkthrough(state: PlaygroundState, steps: int) -> None:
    """Next (+1) or Back (-1), clamped to the first and last step."""
    if follow_walkthrough(state) is not None:
        state.walkthrough_step += int(steps)
        follow_walkthrough(state)  # clamps the step


@transition
def apply_walkthrough_update(state: PlaygroundState) -> None:
    """Make the update the walkthrough shows: one optimiser step on that one point (run A).

    The weights change by exactly the shown update and the optimiser's state moves on as that step
    moves it; the history gets a row at the same epoch (one step on one example is not an epoch).
    """
    from playground.teaching.walkthrough import apply_walkthrough, walkthrough

    index = follow_walkthrough(state)
    if index is None:
        return
    if state.playing:
        state.walkthrough_message = ("warning", "Press Pause first: the update is applied to a paused run.")
        return
    trainer = state.trainer
    example = state.walkthrough_example if index < 0 else None  # walkthrough.GIVEN: the drawn digit
    try:
        shown = walkthrough(trainer, index, example=example)
        apply_walkthrough(trainer, shown)
        after = walkthrough(trainer, index, example=example)
    except ValueError as error:
        state.walkthrough_message = ("warning", f"The update was not applied: {error}.")
        return
    # Charts redraw whole: the new history row has the epoch of the row before it, which an update (rows
    # after the last epoch sent) would skip. Replay ends; gradient checks were of the old weights.
    state.restart_charts()
    state.walkthrough_step = 0
    state.walkthrough_message = ("success", applied_text(trainer, shown, after), applied_toast(shown, after))


def applied_text(trainer: Trainer, shown, after) -> str:
    """What Apply did, seen: the point's loss before -> after, the weight that moved most, the history row."""
    from playground.teaching.walkthrough import largest_change
    from playground.training.history import TRAIN_LOSS

    layer, source, target, old, delta = largest_change(shown)
    train_loss = trainer.history.column(TRAIN_LOSS)
    history = f"the history has a new row ({len(train_loss):,} rows) at epoch {trainer.epoch:,}"
    if len(train_loss) >= 2:
        history += f": training loss (on the charts' sample) {train_loss[-2]:.4g} → {train_loss[-1]:.4g}"
    return (
        f"Applied: one {getattr(trainer.optimizer, 'label', 'optimiser')} step on training row {shown.index} "
        f"alone. **Its loss went from {shown.total_loss:.4g} to {after.total_loss:.4g}** "
        f"({after.total_loss - shown.total_loss:+.3g}). The weight that moved most: W{layer} from {source} to "
        f"{target}, {old:.4g} → {old + delta:.4g} ({delta:+.3g}). The epoch count stays at {trainer.epoch:,} "
        f"(a step on one point is not an epoch); {history}. The walkthrough now shows the next step, from the "
        "new weights."
    )


def applied_toast(shown, after) -> str:
    return (
        f"**Update applied** to row {shown.index}: its loss {shown.total_loss:.4g} → {after.total_loss:.4g}. "
        "[Details ↓](#walkthrough)"
    )


# ---- your own data: clicks on the plane and CSV files (playground/data/userdata.py) ------------------------
# An edit keeps the run going (weights, optimiser, epoch and history: Trainer.edit_data); the first edit of
# a generated 2D dataset turns its current points (train and test, split kept) into your own data. In
# compare mode both runs get the same data. Each transition asks for a full app run (a click arrives in a
# run of the live view's fragment), so the sidebar and the messages follow.
def _redraw_page(state: PlaygroundState) -> None:
    """A click arrives in a run of the live view's fragment: ask for a full run, so the sidebar and the
    messages follow (a full run draws them anyway; asking there too would redraw the page twice and drop
    the messages the first drawing showed)."""
    ctx = get_script_run_ctx()
    if ctx is not None and ctx.fragment_ids_this_run:
        state.app_rerun_due = True


def click_modes(trainer: Trainer) -> list[str]:
    """What a click on this run's plane can do: "inspect", "add0".."add{K-1}" (or "add": regression), "erase"."""
    if trainer.inputs == "image":
        return ["inspect"]
    adds = ["add"] if trainer.problem == "regression" else [f"add{k}" for k in range(trainer.config.classes)]
    return ["inspect", *adds, "erase"]


def editable_data(trainer: Trainer):
    """(the run's data as UserData, points moved onto the plane's edge): its user data, or its generated points."""
    from playground.data.userdata import from_arrays

    if trainer.config.user_data is not None:
        return trainer.config.user_data, 0
    return from_arrays(
        trainer.train_points, trainer.y_train, trainer.test_points, trainer.y_test,
        trainer.config.classes, based_on=trainer.config.dataset,
    )  # fmt: skip


def _edit_runs(state: PlaygroundState, data, walkthrough_row: int | None) -> None:
    """Train every run on ``data`` from now on; the walkthrough follows training row ``walkthrough_row``."""
    from playground.data.datasets import DATASETS

    was_generated = state.trainer.config.user_data is None
    outcomes = {trainer.edit_data(data) for _, trainer in state.runs}
    if outcomes != {"edited"}:
        state.restart_charts()
    state.replay_epoch = None
    _redraw_page(state)  # the sidebar (point counts, batch size) and the messages follow
    if state.walkthrough_index is not None:
        rows = state.trainer.train_points.shape[0]
        if walkthrough_row is None or not 0 <= walkthrough_row < rows:
            state.walkthrough_index = state.walkthrough_followed = None
            state.walkthrough_message = ("info", "The point the walkthrough followed was erased: pick another one.")
        else:
            point = tuple(state.trainer.train_points[walkthrough_row])
            state.walkthrough_index, state.walkthrough_followed = walkthrough_row, (walkthrough_row, point)
    if was_generated:
        name = DATASETS[data.based_on].label if data.based_on in DATASETS else "generated"
        state.say(
            "info",
            f"The {name} points are now your own data (dataset 'Your own data'): training goes on from the "
            "current weights. 'Back to the generated dataset' in the sidebar returns to the generated points.",
        )


@transition
def set_click_mode(state: PlaygroundState, mode: str | None) -> None:
    modes = click_modes(state.trainer)
    state.click_mode = mode if mode in modes else "inspect"


@transition
def plane_click(state: PlaygroundState, x1: Any, x2: Any, shift: bool = False, nonce: str = "") -> None:
    """A click on the plane at (x1, x2), in data coordinates: what it does depends on ``state.click_mode``
    (shift: the other class, or for regression the opposite value). A nonce seen before is ignored."""
    if nonce and nonce == state.plane_click_nonce:
        return
    state.plane_click_nonce = nonce
    try:
        x1, x2 = float(x1), float(x2)
    except (TypeError, ValueError):
        return
    if not (abs(x1) <= 6.5 and abs(x2) <= 6.5):  # outside the plane (a click on its margin)
        return
    mode = state.click_mode if state.click_mode in click_modes(state.trainer) else "inspect"
    if mode == "inspect":
        pick_point(state, x1, x2)
    elif mode == "erase":
        erase_point(state, x1, x2)
    elif mode == "add":
        add_point(state, x1, x2, -state.click_value if shift else state.click_value)
    else:
        label, classes = int(mode[3:]), state.trainer.config.classes
        add_point(state, x1, x2, ((1 - label if classes == 2 else label + 1) % classes) if shift else label)


@transition
def pick_point(state: PlaygroundState, x1: float, x2: float) -> None:
    """Follow the training point nearest to (x1, x2) in the backprop walkthrough (none near: a message)."""
    from playground.data.userdata import PICK_RADIUS

    trainer = state.trainer
    distances = np.hypot(trainer.train_points[:, 0] - x1, trainer.train_points[:, 1] - x2)
    row = int(np.argmin(distances))
    if distances[row] > PICK_RADIUS:
        state.walkthrough_message = (
            "info",
            f"No training point (circle) within {PICK_RADIUS:g} of ({x1:.2f}, {x2:.2f}): click on a circle to "
            "follow it.",
        )
        _redraw_page(state)
        return
    state.walkthrough_index, state.walkthrough_followed, state.walkthrough_step = row, None, 0
    x, y = trainer.train_points[row]
    # The panel is screens below the plane: a toast says what the click did (the plane rings the point and
    # its caption names it: own_data.click_hint), with a link down to it.
    state.walkthrough_message = (
        None,
        None,
        f"**Walkthrough opened for training point #{row}** ({x:.2f}, {y:.2f}), ringed on the plane: "
        "[go to it below ↓](#walkthrough)",
    )
    follow_walkthrough(state)
    _redraw_page(state)


@transition
def add_point(state: PlaygroundState, x1: float, x2: float, value: float) -> None:
    """Add a training point at (x1, x2) with label or target ``value``; training goes on."""
    from playground.data.userdata import UserDataError

    if state.trainer.inputs == "image":
        state.say("warning", "The digit images cannot be edited by clicking; pick a 2D dataset first.")
        return
    data, moved = editable_data(state.trainer)
    try:
        edited = data.with_point(x1, x2, value)
    except UserDataError as error:
        state.say("warning", f"No point was added: {error}")
        _redraw_page(state)
        return
    _edit_runs(state, edited, state.walkthrough_index)
    if moved:
        state.say("info", f"{moved} of the generated points lay outside the plane and were moved onto its edge.")


@transition
def erase_point(state: PlaygroundState, x1: float, x2: float) -> None:
    """Erase the point nearest to (x1, x2) (training or, when shown, test); none near: nothing happens."""
    from playground.data.userdata import PICK_RADIUS, UserDataError

    if state.trainer.inputs == "image":
        return
    data, _ = editable_data(state.trainer)
    index = data.nearest(x1, x2, train_only=not state.show_test)
    if index is None:
        state.say("info", f"No point within {PICK_RADIUS:g} of ({x1:.2f}, {x2:.2f}) to erase.")
        _redraw_page(state)
        return
    try:
        edited = data.without_point(index)
    except UserDataError as error:
        state.say("warning", f"Not erased: {error}")
        _redraw_page(state)
        return
    erased_row, follow = data.train_row(index), state.walkthrough_index
    if follow is not None and erased_row is not None:
        follow = None if follow == erased_row else follow - (follow > erased_row)
    _edit_runs(state, edited, follow)


@transition
def load_user_csv(state: PlaygroundState, name: str, data: bytes) -> bool:
    """Train on the points of an uploaded CSV (from epoch 0: a new data set). A bad file: a message naming the
    row or column, and nothing changes."""
    from playground.data.userdata import UserDataError, parse_csv

    config = state.trainer.config
    try:
        user_data = parse_csv(data, config.train_fraction, config.data_seed)
    except UserDataError as error:
        state.say("error", f"Could not load {str(name)[:60]!r}: {error} Your current data is unchanged.")
        return False
    except Exception as error:  # never a traceback, whatever the file holds
        shown = f"{str(name)[:60]!r} ({type(error).__name__})"
        state.say("error", f"Could not load {shown}. Your current data is unchanged.")
        return False
    state.playing = False
    state.walkthrough_index = state.walkthrough_followed = None
    apply_change(state, dataset="custom", user_data=user_data)
    if state.trainer.config.user_data == user_data:
        state.say("success", f"Loaded {str(name)[:60]!r}: {user_data.describe()}. The run starts again at epoch 0.")
        return True
    return False


@transition
def clear_user_data(state: PlaygroundState) -> None:
    """Back to the generated dataset the points came from (the default one for uploaded points)."""
    from playground.data.datasets import DATASETS

    data = state.trainer.config.user_data
    if data is None:
        return
    back = data.based_on if data.based_on in DATASETS and data.based_on != "custom" else TrainingConfig().dataset
    state.walkthrough_index = state.walkthrough_followed = None
    state.click_mode = "inspect"
    apply_change(state, dataset=back, user_data=None)
