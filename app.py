"""Backprop Playground: `streamlit run app.py` (or `make run`).

Streamlit finds ``app`` below and serves this same file as the page script, with one more route: the
live stream's websocket (playground/ui/stream.py). Imported by the server, this file builds the app;
run as the page script (a script run has a context), it draws the page.
"""

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

if get_script_run_ctx(suppress_warning=True) is None:
    from playground.ui.stream import routes

    app = st.App(__file__, routes=routes())
else:
    st.set_page_config(
        page_title="Backprop Playground", page_icon="🧠", layout="wide", initial_sidebar_state="expanded"
    )

    from playground.ui import main
    from playground.ui.stream import script_run

    with script_run():  # the live streams' frames wait for it: a click shows before the next frame
        main()
