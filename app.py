"""Backprop Playground: `streamlit run app.py` (or `make run`)."""

import streamlit as st

st.set_page_config(page_title="Backprop Playground", page_icon="🧠", layout="wide", initial_sidebar_state="expanded")

from playground.ui import main  # noqa: E402  (set_page_config must come first)

main()
