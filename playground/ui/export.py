"""History table and export; saving and loading a model. Outside the live fragment: not redrawn per frame."""

from __future__ import annotations

import streamlit as st

from playground.model_io import ModelFileError, model_from_json, model_to_json
from playground.trainer import Trainer
from playground.ui.state import PlaygroundState


def load_model(state: PlaygroundState) -> None:
    upload = st.session_state.get("w_model_file")
    if upload is not None:
        load_model_file(state, upload.name, upload.getvalue())


def load_model_file(state: PlaygroundState, name: str, data: bytes) -> bool:
    """Replace the session's run by the model in ``data``; on any problem say why and change nothing."""
    try:
        config, weights, epoch = model_from_json(data)
        trainer = Trainer(config)
        trainer.set_weights(weights)
        trainer.initial_theta = trainer.network.theta.copy()  # Reset returns to the loaded weights
        trainer.reset()
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


def export_panel(state: PlaygroundState) -> None:
    with st.expander("History table, export and import"):
        for name, trainer in state.runs:
            frame = trainer.history_frame
            label = f"Run {name}: " if state.comparing else ""
            st.markdown(f"**{label}history** ({len(frame):,} rows kept; refreshed when paused or stepped)")
            st.dataframe(frame.tail(200), hide_index=True, height=240)
            left, right = st.columns(2)
            left.download_button(
                f"Download {label.lower()}history (CSV)",
                lambda frame=frame: frame.to_csv(index=False).encode(),  # built only when clicked
                file_name=f"history_{name}_epoch{trainer.epoch}.csv",
                mime="text/csv",
                key=f"download_history_{name}",
            )
            right.download_button(
                f"Download {label.lower()}model (JSON)",
                lambda trainer=trainer: model_to_json(trainer.config, trainer.get_weights(), trainer.epoch).encode(),
                file_name=f"model_{name}_epoch{trainer.epoch}.json",
                mime="application/json",
                key=f"download_model_{name}",
                help="The settings and the current weights; load it here later to continue from them.",
            )
        st.file_uploader(
            "Load a model saved from this playground (JSON)",
            type=["json"],
            key="w_model_file",
            on_change=load_model,
            args=(state,),
        )
