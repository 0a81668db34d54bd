"""ui.plotly_chart keeps a drawn figure's dict (Streamlit's first step, plotly's to_dict) for its reruns: the
browser gets the same spec and element id as st.plotly_chart gives, the dict is made once, and a figure changed
in place under a new `version` is drawn as it is now. The Hello page draws its figures through it."""
from __future__ import annotations

import json

import plotly.io

from apptest import chart, open_page
from streamlit.testing.v1 import AppTest


def _script():
    import plotly.graph_objects as go
    import streamlit as st

    import ui
    ss = st.session_state
    if "fig" not in ss:
        ss.fig, ss.calls = go.Figure(go.Scatter(x=[1, 2, 3], y=[3, 1, 2])), 0
        real = ss.real = ss.fig.to_dict

        def counted():
            ss.calls += 1
            return real()
        object.__setattr__(ss.fig, "to_dict", counted)
    fig = ss.fig
    if ss.get("v", 0):
        fig.layout.title.text = f"version {ss.v}"            # changed in place
    ui.plotly_chart(fig, "memo", version=ss.get("v", 0), width="stretch")
    st.plotly_chart(ss.real(), key="plain", width="stretch")      # the reference: Streamlit's own


def test_the_dict_is_made_once_and_the_spec_is_streamlits():
    at = AppTest.from_function(_script, default_timeout=30).run()
    for _ in range(3):
        at.run()
    assert not at.exception
    memo, plain = at.get("plotly_chart")
    assert memo.proto.spec == plain.proto.spec
    assert json.loads(memo.proto.spec)["data"][0]["type"] == "scatter"
    first_id = memo.proto.id
    assert at.session_state.calls == 1                        # 4 draws, one dict (the counted to_dict went back)
    at.session_state.v = 2
    at.run()
    memo, plain = at.get("plotly_chart")
    assert json.loads(memo.proto.spec)["layout"]["title"]["text"] == "version 2"
    assert memo.proto.spec == plain.proto.spec and memo.proto.id != first_id
    assert at.session_state.calls == 2


def test_hello_draws_the_same_figures_on_every_rerun():
    at = open_page("pages/1_Hello_Playground.py")
    first = {k: chart(at, k) for k in ("hello.task_fig", "hello.loss_fig", "hello.timeline_fig")}
    at.toggle(key="hello.show_cell").set_value(True).run()
    at.toggle(key="hello.show_cell").set_value(False).run()
    assert not at.exception
    for k, spec in first.items():
        assert chart(at, k) == spec, k
    run = at.session_state["hello.run"]
    timeline = run.extras[("figs", "en")]["timeline"]
    assert json.loads(plotly.io.to_json(timeline, validate=False)) == first["hello.timeline_fig"]
    assert "_rnnviz_dict" in timeline.__dict__                 # kept for the reruns


def test_a_page_run_freezes_what_the_server_has_loaded():
    """After a page with torch has run, the long-lived objects are in the permanent generation (gc.freeze), so
    full collections under a class's reruns do not walk torch's and plotly's objects again."""
    import gc
    import ui
    gc.unfreeze()
    ui._FROZEN_AT[0] = 0
    try:
        at = open_page("pages/1_Hello_Playground.py")
        assert not at.exception
        assert gc.get_freeze_count() > 50_000
        before = ui._FROZEN_AT[0]
        at.run()                                    # nothing new loaded: no second collection
        assert ui._FROZEN_AT[0] == before
    finally:
        gc.unfreeze()                               # the other tests' process as it was
