"""Step through time: inside the cell one step at a time, with the real numbers. Works on the model
trained in the Hello playground or on a built-in preset."""
import time

import numpy as np
import pandas as pd
import streamlit as st

import ui
from rnnviz.app.cache import LRU
from rnnviz.app.presets import PRESETS
from rnnviz.app.export import file_stem, source_model_bytes
from rnnviz.app import interventions as IV
from rnnviz.app.stepthrough import (MAX_CORPUS, MAX_STEP_TEXT, StepSource, compare_inputs, corpus_trace, prepare_view,
                                    source_from_file, source_from_preset, training_corpus)
from rnnviz.data.text import show_char
from rnnviz.figures import step as FS
from rnnviz.figures.cell import MAX_CELL_UNITS
from rnnviz.figures.intervene import intervention_figure
from rnnviz.figures.style import CELL_NAMES, VECTOR_SYMBOLS
from rnnviz.figures.timeline import CURSOR_KEYS
from rnnviz.i18n import t
from rnnviz.tracing import analysis as A

lang = ui.setup_page("step.title", ":material/footprint:")
ss = st.session_state
MAX_VIEWS = 4      # views kept per session (a view of the longest text holds about 2 MB of arrays and figures)


def source_ui() -> StepSource:
    """Pick the model: the session's own (from the Hello playground), one from a file, or a preset. Presets load
    once per session; a file's model stays in the session until another file is opened."""
    box = st.container()
    with ui.section(t("step.load", lang), icon=":material/upload_file:"):   # before the radio: a new file is chosen
        loaded = ui.model_upload("step.upload", lang, lambda data: source_from_file(data, ui.device()))
    if loaded is not None:
        ss["step.file"], ss["step.src"] = loaded, "file"
        for k in ("step.text.file", "step.a.file", "step.b.file"):       # the new model's own default texts
            ss.pop(k, None)
        m = loaded.model.cfg
        box.success(t("step.load.ok", lang, name=ui.md_literal(ss["step.upload"].name), cell=CELL_NAMES[m.cell],
                      hidden=m.hidden_size, vocab=loaded.vocab.size))
    with box:
        return _pick_source()


def _pick_source() -> StepSource:
    options = (["hello"] if "hello.run" in ss else []) + (["file"] if "step.file" in ss else []) + list(PRESETS)
    asked = st.query_params.get("src")            # src=hello without a Hello model has its own message below
    default = options[0] if asked == "hello" and "hello" not in options else ui.qp_choice("src", options[0], options)
    ui.init_state({"step.src": default})
    if ss["step.src"] not in options:
        ss["step.src"] = options[0]
    label = lambda k: t(f"step.source.{k}", lang)
    src = st.radio(t("step.source", lang), options, format_func=label, key="step.src", horizontal=True)
    if src in PRESETS:
        st.caption(t(f"preset.{src}", lang))
    if "hello.run" not in ss:
        if st.query_params.get("src") == "hello":          # a link to someone else's Hello model: say why not
            st.info(t("step.source.hello_missing", lang, preset=label(src)))
        else:
            st.caption(t("step.source.none_hello", lang))
    if src == "hello":
        run = ss["hello.run"]
        return StepSource("hello", run.model, run.vocab, run.cfg.text, {}, [])
    if src == "file":
        return ss["step.file"]
    cache = ss.setdefault("step.presets", {})
    if src not in cache:
        cache[src] = source_from_preset(src)
    return cache[src]


def _url_source(source: StepSource) -> bool:
    """Whether the URL's texts (?text=, ?a=, ?b=) belong to `source`: they are typed for the model named by ?src=
    (the Hello page's ?text=hello must not leak into a preset, nor one preset's text into another's)."""
    return st.query_params.get("src") == source.name


def text_ui(source: StepSource) -> str:
    key = f"step.text.{source.name}"
    ui.url_state({key: ("text", ui.as_text(source.text, MAX_STEP_TEXT) if _url_source(source) else source.text)},
                 write=False)
    chars = "".join(show_char(c) for c in source.vocab.chars)
    return st.text_area(t("step.text", lang), key=key, max_chars=MAX_STEP_TEXT, height=90,
                        help=t("step.text.help", lang, chars=chars[:300]))


PLAY_EVERY = 1.0    # seconds per step while playing
KEYS = CURSOR_KEYS   # J / K / L, as on the Hello timeline: YouTube's back / play-pause / forward; letters, not arrows: an
                     # arrow on the focused slider would move it and press the button


def _cursor(view) -> None:
    """Cursor (slider; buttons and keys J / L for a step back / on, K to play / pause) and the equations at the
    cursor step. A fragment: a step change reruns only this part; while playing it reruns every PLAY_EVERY
    seconds and moves on one step each time, until the last step."""
    tr, chars = view.trace, view.chars
    T = tr.T
    ui.url_state({"step.t": ("t", ui.as_int(1, 1, T))}, write=False)

    def move(d):
        ss["step.t"] = min(max(ss["step.t"] + d, 1), T)

    def play():
        ss["step.playing"] = not ss.get("step.playing", False)
        if ss["step.playing"] and ss["step.t"] >= T:            # at the end: play from the start
            ss["step.t"], ss["step.play_last"] = 1, time.monotonic()
        elif ss["step.playing"]:
            ss["step.play_last"] = 0.0                          # the next step at once
        ss["step.play_toggled"] = True

    playing = ss.get("step.playing", False)
    c1, c2, c3, c4 = st.columns([1, 5, 1, 1], vertical_alignment="bottom")
    c1.button(t("step.prev", lang), on_click=move, args=(-1,), key="step.prev", width="stretch", shortcut=KEYS["prev"])
    c3.button(t("step.next", lang), on_click=move, args=(1,), key="step.next", width="stretch", shortcut=KEYS["next"])
    c4.button(t("step.pause" if playing else "step.play", lang), on_click=play, key="step.play", width="stretch",
              shortcut=KEYS["play"], help=t("step.play.help", lang), type="primary" if playing else "secondary",
              icon=":material/pause:" if playing else ":material/play_arrow:")
    if ss.pop("step.play_toggled", False):       # playing or not: the fragment's timer is set by a full run
        st.rerun()
    if playing and time.monotonic() - ss.get("step.play_last", 0.0) >= 0.8 * PLAY_EVERY:
        ss["step.play_last"] = time.monotonic()  # a timed run (or any run a second after the last step): one step on
        ss["step.t"] = min(ss["step.t"] + 1, T)
        if ss["step.t"] >= T:                    # the last step: stop (the timer goes with a full run)
            ss["step.playing"] = False
            st.rerun()
    step = c2.select_slider(t("hello.cursor", lang), options=list(range(1, T + 1)), key="step.t",
                            format_func=lambda i: f"{i} · {show_char(chars[i - 1])}")
    st.caption(t("step.keys", lang))
    ui.set_query_params({"t": step})
    H = tr.hidden.shape[1]
    default_units = view.noted_units[:1] + [u for u in range(min(H, 4)) if u not in view.noted_units[:1]]
    ui.url_state({"step.units": ("units", ui.as_ints(default_units[:4], 0, H - 1, 8))}, write=False)
    units = st.multiselect(t("step.units", lang), list(range(H)), key="step.units", max_selections=8)
    ui.set_query_params({"units": units})
    st.markdown(t("step.eq.howto", lang, t=step, x=show_char(chars[step - 1])))
    st.caption(t(f"step.eq.convention.{tr.cell_type}", lang))
    terms = A.step_terms(view.model, tr, step)
    units = sorted(units) or [0]
    outputs = np.sort(np.argsort(-terms["probs"], kind="stable")[:A.MAX_UNITS])    # the most likely next characters
    vocab = view.vocab_chars
    st.caption(t("step.eq.rows", lang, units=", ".join(map(str, units)),
                 chars=", ".join(show_char(vocab[i]) for i in outputs)))
    for _, latex in A.equation_latex(terms, tr.cell_type, units, outputs=outputs, nonlinearity=view.model.cfg.nonlinearity):
        st.latex(latex)
    ui.plotly_chart(FS.trajectory_figure(view.pca[0], chars, step, view.pca[1], lang), key="step.traj_fig",
                    width="stretch")
    st.caption(t("step.traj.howto", lang))


def states_tab(view) -> None:
    st.caption(t("step.states.howto", lang))
    ui.plotly_chart(view.figure("timeline", lang), key="step.timeline_fig", width="stretch")
    ui.figure_download(view.figure("timeline", lang), "step-timeline", lang)
    st.markdown(f"#### {t('step.sat.title', lang)}")
    if not view.saturation:
        st.info(t("step.sat.none", lang))
        return
    c1, c2 = st.columns([2, 1])
    ui.plotly_chart(view.figure("sat", lang), key="step.sat_fig", width="stretch", where=c1)
    c2.caption(t("step.sat.howto", lang))
    # three rows: a Markdown table (an st.dataframe would load its grid's JavaScript on the tab's first visit)
    # gates as columns (by their symbol, as in the legend), so the narrow column needs no wrapping
    gates = list(view.saturation)
    head = [t("step.sat.col.gate", lang)] + [f"**{VECTOR_SYMBOLS[view.trace.cell_type][g]}**" for g in gates]
    rows = [[t(f"step.sat.col.{side}", lang)] + [f"{view.saturation[g][f'{side}_share']:.0%}" for g in gates]
            for side in ("left", "right")]
    c2.markdown(ui.markdown_table(head, rows, align="l" + "r" * len(gates)))


def unrolled_tab(view) -> None:
    st.caption(t("step.unrolled.howto", lang))
    ui.plotly_chart(view.figure("unrolled", lang), key="step.unrolled_fig", width="stretch")
    st.markdown(f"#### {t('step.params', lang)}")
    rec = next(r for r in A.parameter_table(view.model) if r["total"] and r["layer"] == "recurrent")
    st.caption(t("step.params.bias_note", lang, torch=f"{rec['count']:,}", keras=f"{rec['one_bias_count']:,}"))
    rows = A.parameter_table(view.model)
    st.dataframe(pd.DataFrame({
        t("step.params.col.name", lang): [t(f"step.params.layer.{r['name']}", lang) if r["total"] else r["name"]
                                          for r in rows],
        t("step.params.col.shape", lang): ["×".join(map(str, r["shape"])) if r["shape"] else "" for r in rows],
        t("step.params.col.formula", lang): [r["formula"] for r in rows],
        t("step.params.col.count", lang): [f"{r['count']:,}" for r in rows],
    }), hide_index=True)


def units_tab(view) -> None:
    tr, chars = view.trace, view.chars
    H = tr.hidden.shape[1]
    for note in view.unit_notes:
        st.info(t("step.units.noted", lang, unit=note.unit, state=t(f"step.state.{note.state}", lang), what=note.label(lang),
                  r=note.r))
    states = ["h", "c"] if tr.cell is not None else ["h"]
    T = tr.T
    ui.url_state({"step.unit": ("unit", ui.as_int(view.noted_units[0] if view.noted_units else 0, 0, H - 1)),
                  "step.state": ("state", ui.as_choice(view.unit_notes[0].state if view.unit_notes else "h", states)),
                  "step.span": ("span", ui.as_span((min(view.default_span[0], T), min(view.default_span[1], T)), 1, T)),
                  "step.thr": ("thr", ui.as_num(0.5, -1.0, 1.0, 0.05))})
    c1, c2 = st.columns([1, 2])
    unit = c1.selectbox(t("step.units.pick", lang), list(range(H)), key="step.unit")
    state = c2.radio(t("step.units.state", lang), states, format_func=lambda s: t(f"step.state.{s}", lang), key="step.state",
                     horizontal=True)
    vals = (tr.cell if state == "c" else tr.hidden)[:, unit]
    st.caption(t("step.units.howto", lang))
    st.html(FS.colored_text_html(chars, vals, float(max(1.0, np.abs(vals).max()))))
    st.markdown(f"#### {t('step.search', lang)}")
    st.caption(t("step.search.howto", lang))
    c1, c2 = st.columns([3, 1])
    # value: a pair makes it a range slider (the session's value, from the URL, is what it shows)
    lo, hi = c1.select_slider(t("step.search.span", lang), options=list(range(1, T + 1)), key="step.span",
                              value=ss["step.span"],
                              format_func=lambda i: f"{i} · {show_char(chars[i - 1])}")
    thr = c2.slider(t("step.search.threshold", lang), -1.0, 1.0, step=0.05, key="step.thr")
    ranked = A.find_units(tr.hidden, lo - 1, hi, threshold=thr)[:8]
    st.dataframe(pd.DataFrame({
        t("step.search.col.unit", lang): [r["unit"] for r in ranked],
        t("step.search.col.score", lang): [round(r["score"], 3) for r in ranked],
        t("step.search.col.inside", lang): [f"{r['inside']:.0%}" for r in ranked],
        t("step.search.col.outside", lang): [f"{r['outside']:.0%}" for r in ranked],
    }), hide_index=True)
    if ranked:
        best = ranked[0]["unit"]
        st.html(FS.colored_text_html(chars, tr.hidden[:, best], 1.0,
                                     title=f"{t('step.units.pick', lang)} {best}"))
        match_ui(view, ranked, lo, hi, thr)


def match_ui(view, ranked: list, lo: int, hi: int, thr: float) -> None:
    """LSTMVis's match view: where else in a corpus the units that are on over the chosen span are on."""
    st.markdown(f"#### {t('step.match.title', lang)}")
    st.caption(t("step.match.howto", lang, n=hi - lo + 1))
    H = view.trace.hidden.shape[1]
    picked = [r["unit"] for r in ranked if r["score"] > 0][:3] or [ranked[0]["unit"]]
    corpus = training_corpus(source)
    kinds = (["train"] if corpus else []) + ["own"]
    ui.url_state({"step.match_units": ("match_units", ui.as_ints(picked, 0, H - 1, 8)),
                  "step.match_src": ("match_src", ui.as_choice(kinds[0], kinds)),
                  "step.match_text": ("match_text", ui.as_text(view_text, MAX_CORPUS))})
    c1, c2 = st.columns([2, 1])
    units = c1.multiselect(t("step.match.units", lang), list(range(H)), key="step.match_units", max_selections=8)
    kind = c2.radio(t("step.match.corpus", lang), kinds, key="step.match_src", horizontal=True,
                    format_func=lambda k: t(f"step.match.corpus.{k}", lang))
    if kind == "own":
        text = st.text_area(t("step.match.text", lang), key="step.match_text", max_chars=MAX_CORPUS, height=110)
    else:
        text = corpus
        st.caption(t("step.match.train_caption", lang, n=len(corpus)))
    if not units:
        st.info(t("step.match.none_picked", lang))
        return
    try:
        found = corpus_trace(source, text)
    except ValueError as e:
        st.error(t("step.bad_text", lang, msg=ui.error_message(e, lang)))
        return
    length = min(hi - lo + 1, len(found["chars"]))
    matches = A.match_spans(found["hidden"], sorted(units), length, threshold=thr, top=6)
    if not matches:
        st.info(t("step.match.nothing", lang))
        return
    ui.plotly_chart(FS.matches_figure(matches, found["hidden"], found["chars"], sorted(units), lang),
                    key="step.match_fig", width="stretch")


def compare_tab(source) -> None:
    st.caption(t("step.compare.howto", lang))
    a_default, b_default = source.pair
    mine = _url_source(source)
    ui.url_state({f"step.a.{source.name}": ("a", ui.as_text(a_default, MAX_STEP_TEXT) if mine else a_default),
                  f"step.b.{source.name}": ("b", ui.as_text(b_default, MAX_STEP_TEXT) if mine else b_default)})
    c1, c2 = st.columns(2)
    a = c1.text_input(t("step.compare.a", lang), key=f"step.a.{source.name}", max_chars=MAX_STEP_TEXT)
    b = c2.text_input(t("step.compare.b", lang), key=f"step.b.{source.name}", max_chars=MAX_STEP_TEXT)
    try:
        cmp = compare_inputs(source, a, b)
    except ValueError as e:
        st.error(t("step.bad_text", lang, msg=ui.error_message(e, lang)))
        return
    ui.plotly_chart(FS.difference_figure(cmp["from_start"], cmp["from_end"], list(a), list(b), lang),
                    key="step.diff_fig", width="stretch")


def _apply_preset(settings: "IV.EditSettings") -> None:
    ss["iv.t"], ss["iv.q"] = settings.step, settings.quantity
    ss["iv.u"] = "all" if settings.unit is None else str(settings.unit)
    ss["iv.v"] = float(settings.value)


def intervene_tab(source: StepSource, view) -> None:
    """What if this gate had closed? Edit a gate or a state at one step; the rest of the text is replayed from
    the edit by the model itself, and the original and edited runs are drawn on one time axis."""
    tr, chars = view.trace, view.chars
    T, H, cell = tr.T, tr.hidden.shape[1], tr.cell_type
    qs = IV.quantities(cell)
    presets = IV.available_presets(source, view)
    first = IV.preset_edit(presets[0], source, view) if presets else IV.EditSettings(min(T, 3), qs[0], None, 0.0)
    units = ["all"] + [str(u) for u in range(H)]
    ui.url_state({"iv.t": ("iv_t", ui.as_int(first.step, 1, T)), "iv.q": ("iv_q", ui.as_choice(first.quantity, qs)),
                  "iv.u": ("iv_u", ui.as_choice("all" if first.unit is None else str(first.unit), units)),
                  "iv.v": ("iv_v", ui.as_num(float(first.value), -IV.MAX_VALUE, IV.MAX_VALUE, 0.05))})
    gate = ss["iv.q"] in IV.EDIT_GATES.get(cell, ())       # another model or text: settings brought into range
    lo, hi = (0.0, 1.0) if gate else (-IV.state_limit(ss.get("iv.q", "h")), IV.state_limit(ss.get("iv.q", "h")))
    ss["iv.t"] = min(max(int(ss["iv.t"]), 1), T)
    if ss["iv.u"] not in units:
        ss["iv.u"] = "all"
    ss["iv.v"] = float(min(max(float(ss["iv.v"]), lo), hi))
    st.caption(t("iv.howto", lang))
    if presets:
        cols = st.columns(len(presets))
        for col, name in zip(cols, presets):
            col.button(t(f"iv.preset.{name}", lang), key=f"iv.preset.{name}", width="stretch",
                       on_click=_apply_preset, args=(IV.preset_edit(name, source, view),))
    c1, c2, c3, c4 = st.columns([3, 2, 1, 2])
    step = c1.select_slider(t("iv.step", lang), options=list(range(1, T + 1)), key="iv.t",
                            format_func=lambda i: f"{i} · {show_char(chars[i - 1])}")
    quantity = c2.radio(t("iv.quantity", lang), qs, key="iv.q", format_func=lambda q: t(f"iv.q.{q}", lang))
    unit = c3.selectbox(t("iv.unit", lang), units, key="iv.u",
                        format_func=lambda u: t("iv.all_units", lang) if u == "all" else u)
    value = c4.slider(t("iv.value", lang), lo, hi, step=0.05, key="iv.v")
    try:
        edit = IV.edit_from_settings(view, IV.EditSettings(step, quantity, None if unit == "all" else int(unit), value))
    except IV.InterventionError as e:
        st.error(ui.error_message(e, lang))
        return
    cmp = IV.compare(view, edit)
    vocab = list(view.vocab_chars)
    changed = cmp["changed"]
    st.markdown(t("iv.summary", lang, what=t(f"iv.q.{quantity}", lang), t=step, x=show_char(chars[step - 1]),
                  units=t("iv.all_units", lang) if unit == "all" else t("iv.unit_n", lang, unit=unit), v=value,
                  lo=float(cmp["original"].loss), le=float(cmp["edited"].loss), n=len(changed),
                  steps=", ".join(f"{k} · {show_char(chars[k - 1])}" for k in changed[:8]) or "—"))
    if cell == "gru" and quantity == "h" and unit == "all" and value == 0.0:
        a, b = source.pair
        gap = IV.pair_gap(source, a, b, edit) if step <= min(len(a), len(b)) else None
        if gap is not None:
            st.info(t("iv.pair", lang, a=ui.md_literal(a), b=ui.md_literal(b), t=step, before=gap["before"],
                      after=gap["after"]))
    ui.plotly_chart(intervention_figure(cmp, chars, vocab, step, lang), key="step.iv_fig", width="stretch")
    st.caption(t("iv.fig.howto", lang))


def cell_tab(view) -> None:
    """The cell diagram with the real numbers of a few units, one frame per step (played in the browser)."""
    tr = view.trace
    H = tr.hidden.shape[1]
    default = (view.noted_units + [u for u in range(H) if u not in view.noted_units])[:2]
    ui.url_state({"cell.units": ("cell_units", ui.as_ints(default, 0, H - 1, MAX_CELL_UNITS))})
    st.caption(t("cell.howto", lang) + " " + t(f"cell.howto.{tr.cell_type}", lang))
    units = st.multiselect(t("cell.units", lang), list(range(H)), key="cell.units", max_selections=MAX_CELL_UNITS)
    units = sorted(units) or default
    start = min(max(int(ss.get("step.t", 1)), 1), tr.T)
    ui.plotly_chart(view.cell_figure(units, lang, start), key="step.cell_fig", width="stretch")


st.title(t("step.title", lang))
st.markdown(t("step.intro", lang))
settings = ui.controls(lang)                 # folded away in the presenter view
with settings:
    source = source_ui()
    text = text_ui(source)
view_key = (source.name, id(source.model), text)
view_text = text
views = ss.setdefault("step.views", LRU(MAX_VIEWS))     # the last few views (and their figures): going back
view = views.get(view_key)                                # to a preset or text redraws, never recomputes
if view is None:
    try:
        view = views[view_key] = prepare_view(source, text)
    except ValueError as e:
        st.error(t("step.bad_text", lang, msg=ui.error_message(e, lang)))
        st.stop()
if st.query_params.get("src") not in (None, source.name):     # another model: the texts typed for the last one
    for p in ("a", "b"):                                        # (?text= is replaced below) do not carry over
        st.query_params.pop(p, None)
ui.set_query_params({"src": source.name, "text": text})
m = view.model
with settings:                               # a bad text's message above stays in sight
    st.caption(t("step.model_info", lang, cell=CELL_NAMES[m.cfg.cell], hidden=m.cfg.hidden_size,
                 vocab=source.vocab.size, params=f"{A.parameter_table(m)[-1]['count']:,}"))
    c1, c2, _ = st.columns([1, 1, 2])
    ui.download("model", lambda: source_model_bytes(source), f"{file_stem(source.name, m.cfg.cell)}.safetensors",
                "application/octet-stream", "step.model_dl", lang, c1)
    ui.download("csv", lambda: view.csv(), f"{file_stem('trace', source.name)}.csv", "text/csv", "step.csv_dl", lang,
                c2)
# Only the open tab runs and draws: choosing a preset or typing a text redraws one tab, not five.
cursor_and_equations_ui = st.fragment(_cursor, run_every=PLAY_EVERY if ss.get("step.playing") else None)
TABS = {"equations": lambda: cursor_and_equations_ui(view), "states": lambda: states_tab(view),
        "unrolled": lambda: unrolled_tab(view), "units": lambda: units_tab(view), "compare": lambda: compare_tab(source),
        "intervene": lambda: intervene_tab(source, view), "cell": lambda: cell_tab(view)}
active, tabs = ui.lazy_tabs("step.tab", tuple(TABS), lang)
with tabs[active]:
    ui.prompts("step", lang, src=source.name, tab=active)
    TABS[active]()
