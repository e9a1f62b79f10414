"""History table and export; saving and loading a model. Outside the live fragment: not redrawn per frame."""

from __future__ import annotations

import streamlit as st

from playground.links.model_file import model_to_json
from playground.ui.session import load_model_file
from playground.ui.state import PlaygroundState


def load_model(state: PlaygroundState) -> None:
    upload = st.session_state.get("w_model_file")
    if upload is not None:
        load_model_file(state, upload.name, upload.getvalue())


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
                on_click="ignore",  # no rerun: one racing the download could drop its file
            )
            right.download_button(
                f"Download {label.lower()}model (JSON)",
                lambda trainer=trainer: model_to_json(
                    trainer.config, trainer.get_weights(), trainer.epoch, trainer.network
                ).encode(),
                file_name=f"model_{name}_epoch{trainer.epoch}.json",
                mime="application/json",
                key=f"download_model_{name}",
                on_click="ignore",  # no rerun: one racing the download could drop its file
                help="The settings and the current weights; load it here later to continue from them.",
            )
        st.file_uploader(
            "Load a model saved from this playground (JSON)",
            type=["json"],
            key="w_model_file",
            on_change=load_model,
            args=(state,),
        )
