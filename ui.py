"""Shared Streamlit helpers for the pages: page set-up, language and device pickers, URL query
parameters. Library work (training, tracing, figures) stays in `rnnviz`; this module only draws
widgets and reads/writes `st.session_state` and `st.query_params`."""
from __future__ import annotations

import contextlib
import time

import streamlit as st

from rnnviz.i18n import LANG_NAMES, LANGS, t

from ui_url import (  # noqa: F401  (the URL bindings, re-exported: pages call them as ui.<name>)
    URL_KEYS, Bound, _bad_notice, _bad_param, _on_grid, _register, as_bool, as_choice, as_int, as_ints, as_num,
    as_span, as_text, check_state, init_state, lazy_tabs, md_literal, qp_bool, qp_choice, qp_float, qp_int,
    qp_ints, qp_num, qp_spec, qp_span, qp_str, set_query_params, spec_bounds, url_keys, url_state, url_text)
import ui_server  # noqa: E402
from ui_server import work_key  # noqa: E402,F401  (a Train button's key: its press is due after slider moves)
import lecture_ui  # noqa: E402  (it imports this module back: names are looked up when called)

PAGES = [  # (script, label key, icon): the top bar's navigation, in the user's language
    ("app.py", "app.page.home", ":material/home:"),
    ("pages/1_Hello_Playground.py", "app.page.hello", ":material/waving_hand:"),
    ("pages/2_Step_Through.py", "app.page.step", ":material/footprint:"),
    ("pages/3_Vanishing_Gradients.py", "app.page.grad", ":material/trending_down:"),
    ("pages/4_Sequence_Tasks.py", "app.page.lab", ":material/science:"),
    ("pages/5_Lecture.py", "app.page.lecture", ":material/co_present:"),
]
PAGE_OF_TITLE = {"app.title": "home", "hello.title": "hello", "step.title": "step", "grad.title": "grad",
                 "lab.title": "lab", "lecture.title": "lecture"}
SCRIPT_OF_PAGE = {"home": "app.py", "hello": "pages/1_Hello_Playground.py", "step": "pages/2_Step_Through.py",
                  "grad": "pages/3_Vanishing_Gradients.py", "lab": "pages/4_Sequence_Tasks.py",
                  "lecture": "pages/5_Lecture.py"}



_FROZEN_AT = [0]        # len(sys.modules) at the last gc.freeze()


def freeze_loaded_modules() -> None:
    """Keep the server's long-lived objects out of Python's full garbage collections. With torch, plotly and
    Streamlit loaded a server holds ~230k tracked objects, and every full (generation 2) collection walks them
    all with every thread stopped: under bench_load sliders-30 the server made 7 of them in ~35 s, growing from
    16 to 240 ms as sessions accumulate - the slowest reruns' latency. Once a page run finds new modules loaded
    (torch, a page's figure code: 20 or more since the last time), one collection runs and gc.freeze() moves
    what survives to the permanent generation, so later collections walk only newer objects (the same run:
    the last ones 18-62 ms). Frozen objects are still freed by reference counting; only a cycle among them
    would stay. A few times per server process (each page's first visits), 2-80 ms each."""
    import gc
    import sys
    if "torch" not in sys.modules or len(sys.modules) < _FROZEN_AT[0] + 20:
        return
    _FROZEN_AT[0] = len(sys.modules)
    gc.collect()
    gc.freeze()


def setup_page(title_key: str, icon: str = ":material/replay:", defer_device: bool = False) -> str:
    """set_page_config; the top bar (every page, the language, the presenter view); the device picker in the
    sidebar; returns the language code.

    The sidebar starts folded: at a projector's 1280x720 it took 300 px of the page, and everything a user
    needs on every page is in the top bar. The device picker imports torch (about 1.5 s on a first visit).
    With defer_device, the page calls `device_ui` itself once its light first part is on screen (nothing else
    may go into the sidebar first)."""
    ui_server.tune()                                     # the server's tuning for a class: once per process
    freeze_loaded_modules()                              # what the last runs imported (torch, figures): once
    lang = _lang_from_state()
    present = presenting()
    st.session_state["_page"] = PAGE_OF_TITLE.get(title_key, "home")     # whose keys url_state registers
    st.set_page_config(page_title=f"rnnviz · {t(title_key, lang)}", page_icon=icon, layout="wide",
                       initial_sidebar_state="collapsed")
    st.html(TOP_BAR_STYLE)
    with st.container(horizontal=True, vertical_alignment="center", gap="small", key="top_bar"):
        lang = lang_ui()
        if not present:                                  # a presenter moves by scenes: the bar stays one line
            nav_ui(lang)
        st.toggle(t("ui.present", lang), value=present, key="present_toggle", on_change=_toggle_present,
                  help=t("ui.present.help", lang), width="content")
    if lang != "en":
        st.html(_uploader_style(lang))
    if present:
        st.html(lecture_ui.PRESENTER_STYLE)
    st.session_state["_bad_params"] = {}                 # this run's unusable URL settings, named in one notice
    st.session_state["_bad_state"] = {}                  # this run's held settings out of bounds, in that notice
    lecture_ui.scene_ui(PAGE_OF_TITLE.get(title_key, "home"), lang, present)
    st.session_state["_bad_params_slot"] = st.empty()
    bad_lang = st.session_state.pop("_lang_bad", None)      # read before the notice had its place
    if bad_lang is not None:
        _bad_param("lang", bad_lang, lang)
    raw_present = st.query_params.get("present")
    if raw_present not in (None, "0", "1"):
        _bad_param("present", raw_present, "0")
        del st.query_params["present"]
    if not defer_device:
        device_ui(lang)
    return lang


def presenting() -> bool:
    """Whether the page is in the presenter view (?present=1 in the URL)."""
    return st.query_params.get("present") == "1"


def controls(lang: str, key: str = "controls", border: bool = False):
    """Where a page puts its settings (forms, pickers, knobs). In the presenter view they fold away into one
    expander, closed, so the scene's figure comes first on the projector (the lecturer opens it to change a
    setting); otherwise a plain container, so the page reads as before. Widgets keep their keys either way.
    Expanders do not nest: inside, a page uses `section` for what is an expander of its own elsewhere."""
    if presenting():
        return st.expander(t("ui.controls", lang), expanded=False, icon=":material/tune:", key=key)
    return st.container(key=key, border=border)


def section(label: str, icon: str | None = None):
    """An expander of the page's own (a file upload), or inside the presenter view's folded controls (where an
    expander may not go) a labelled container."""
    if presenting():
        box = st.container(border=True)
        box.caption(f"{icon} {label}" if icon else label)
        return box
    return st.expander(label, icon=icon)


def _toggle_present() -> None:
    """The sidebar's presenter-view switch: ?present=1 in the URL (so the link keeps it), or not."""
    if st.session_state["present_toggle"]:
        st.query_params["present"] = "1"
    else:
        st.query_params.pop("present", None)


def _uploader_style(lang: str) -> str:
    """Streamlit draws its file uploader's button and limits in English only ("Upload", "5MB per file"): one
    stylesheet puts the translations in their place (the label above each uploader names the file type)."""
    limit = int(st.get_option("server.maxUploadSize"))
    drop = '[data-testid="stFileUploaderDropzone"]'
    return (f"<style>{drop} button [data-testid=\"stMarkdownContainer\"] p {{font-size: 0}}"
            f"{drop} button [data-testid=\"stMarkdownContainer\"] p::after {{content: \"{t('ui.upload', lang)}\"; "
            f"font-size: 0.875rem}}"
            f"[data-testid=\"stFileUploaderDropzoneInstructions\"] span {{font-size: 0}}"
            f"[data-testid=\"stFileUploaderDropzoneInstructions\"] span::after "
            f"{{content: \"{t('ui.upload_limit', lang, mb=limit)}\"; font-size: 0.875rem}}</style>")


# the top bar: one line of compact links, the language switch first (it is what a newcomer looks for)
TOP_BAR_STYLE = ("<style>[data-testid=\"stMainBlockContainer\"] {padding-top: 3.4rem}"
                 ".st-key-top_bar {gap: 0.1rem 0.35rem; margin-bottom: -0.6rem}"
                 ".st-key-top_bar [data-testid=\"stPageLink\"] a {padding: 0.1rem 0.45rem}"
                 ".st-key-top_bar [data-testid=\"stRadio\"] {margin-right: 0.6rem}</style>")


def nav_ui(lang: str) -> None:
    """Links to every page with translated names (Streamlit's own page list is switched off in config)."""
    for script, key, icon in PAGES:
        st.page_link(script, label=t(key, lang), icon=icon, query_params={"lang": lang} if lang != "en" else None)


def _lang_from_state() -> str:
    if "_lang" not in st.session_state:
        q = st.query_params.get("lang")
        st.session_state["_lang"] = q if q in LANGS else "en"
        if q is not None and q not in LANGS:
            st.session_state["_lang_bad"] = q               # named in the page's notice (setup_page)
    return st.session_state["_lang"]


def lang_ui() -> str:
    """Language picker (kept across pages and in the URL as ?lang=)."""
    cur = _lang_from_state()
    st.session_state["lang_widget"] = cur

    def _changed():
        st.session_state["_lang"] = st.session_state["lang_widget"]

    st.radio(t("sidebar.language", cur), LANGS, format_func=LANG_NAMES.get, key="lang_widget",
             horizontal=True, on_change=_changed, label_visibility="collapsed", width="content")
    lang = st.session_state["_lang"]
    if lang != "en":
        st.query_params["lang"] = lang
    elif "lang" in st.query_params:
        del st.query_params["lang"]
    return lang


def device_ui(lang: str) -> str:
    """CUDA when present (the default), or CPU; the choice is kept for the session."""
    import torch
    torch.set_num_threads(1)   # one intra-op thread: on a shared CPU two threads made small models several times slower
    options = (["cuda"] if torch.cuda.is_available() else []) + ["cpu"]
    if "_device" not in st.session_state:             # a link's ?device= once per session, then the session's
        st.session_state["_device"] = qp_choice("device", options[0], options)
    if st.session_state["_device"] not in options:
        st.session_state["_device"] = options[0]
    st.session_state["device_widget"] = st.session_state["_device"]

    def _changed():
        st.session_state["_device"] = st.session_state["device_widget"]

    st.sidebar.radio(t("sidebar.device", lang), options, key="device_widget", horizontal=True,
                     format_func=lambda d: f"CUDA ({torch.cuda.get_device_name(0)})" if d == "cuda" else "CPU",
                     help=t("sidebar.device.help", lang), on_change=_changed)
    if len(options) == 1:
        st.sidebar.caption(t("sidebar.device.none", lang))
    if st.session_state["_device"] != options[0]:     # in the URL (as ?lang= is) when not the machine's default
        set_query_params({"device": st.session_state["_device"]})
    elif "device" in st.query_params:
        del st.query_params["device"]
    return st.session_state["_device"]


def session_id() -> str:
    """This browser session's id: the training service's unit of "one job per session"."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else "local"


def training_job():
    """(service, this session's waiting or running job) or (service, None); (None, None) without a running
    service (none started yet: the first training starts it, see rnnviz.service.run.run_job)."""
    from rnnviz.service import current_service
    svc = current_service()
    return svc, (None if svc is None else svc.active(session_id()))


def job_failed_text(status, lang: str) -> str:
    """Why a training job failed, in the user's language."""
    code = status.error_code if status.error_code in ("crashed", "hung", "error", "shutdown", "unavailable") else "error"
    return t(f"job.failed.{code}", lang, detail=status.error.split("\n")[0][:200])


def session_connected(session: str | None = None):
    """A probe for the training facade (`rnnviz.service.run`): whether this session's browser is still
    connected (Streamlit's runtime: `is_active_session`; a closed tab is not). Always True without a runtime
    (AppTest, bare mode)."""
    from streamlit import runtime
    sid = session or session_id()

    def connected() -> bool:
        if not runtime.exists():
            return True
        return runtime.get_instance().is_active_session(sid)
    return connected


def job_state_text(status, lang: str) -> str:
    """What a page says of a training job that is waiting (its place in the queue)."""
    return t("hello.job.waiting", lang, position=status.position, ahead=max(0, status.position - 1))


def _progress_text(p: dict, lang: str) -> str:
    from rnnviz.figures.lab import cell_name
    head = f"{cell_name(p['cell'], lang)}: " if p.get("cell") else ""
    if p.get("loss") is None:
        return head + f"{p['step']}/{p['steps']}" + (f" (T = {p['T']})" if p.get("T") else "")
    return head + t("hello.training", lang, step=p["step"], steps=p["steps"], loss=p["loss"])


def training(train, lang: str, stop_key: str, where=None, cells: tuple[str, ...] = (), stop_always: bool = True,
             stopping: bool = False, on_cancelled=None, every_s: float = 0.5):
    """Run a training through the training facade and show its job's state as it changes: waiting (the place in
    the queue), running (a progress bar with the step and loss, at most every `every_s`), and a Stop button (at
    `where`, a column, or above the bar: a click reruns the page, which stops the job; the page keeps what it
    recorded). `train(session=, on_state=, connected=)` is a library facade (`rnnviz.service.run.run_job`'s
    keywords). `cells`: the cells trained in turn (the bar then spans all of them; progress names its cell).
    `stop_always`: a Stop button for an in-process training too (False: only for a job of the service, the
    Hello page). Returns what `train` returns, or None after showing why: the queue is full, the job failed
    (the reason), it was cancelled while it waited (`on_cancelled()` is called too). Other errors go on."""
    from rnnviz.service import JobCancelled, JobFailed, QueueFull
    stop, bar = (where or st).empty(), st.empty()
    shown = {"t": 0.0, "state": None, "stop": stopping}            # no Stop button while it stops

    def on_state(s):
        if s.state in ("waiting", "running") and not shown["stop"] and (s.id or stop_always):
            stop.button(t("grad.train.stop", lang), key=stop_key, width="stretch" if where is not None else "content")
            shown["stop"] = True
        if s.state == "waiting":
            bar.info(job_state_text(s, lang), icon=":material/hourglass_top:")
        elif s.state == "running" and s.progress and (shown["state"] != "running"
                                                         or time.perf_counter() - shown["t"] > every_s):
            p = s.progress
            frac = p["step"] / max(1, p["steps"])
            if p.get("cell") in cells:
                frac = (cells.index(p["cell"]) + frac) / len(cells)
            bar.progress(min(1.0, max(0.0, frac)), text=_progress_text(p, lang))
            shown["t"] = time.perf_counter()
        shown["state"] = s.state

    try:
        return train(session=session_id(), on_state=on_state, connected=session_connected())
    except QueueFull as e:
        st.error(t("hello.job.busy", lang, n=e.waiting))
    except JobFailed as e:
        st.error(t("hello.job.failed", lang, reason=job_failed_text(e.status, lang)))
    except JobCancelled:
        if on_cancelled is not None:
            on_cancelled()
        st.info(t("hello.job.cancelled", lang))
    finally:
        bar.empty()
        stop.empty()
    return None


def device() -> str:
    return st.session_state.get("_device", "cpu")


def prompts(page: str, lang: str, **view) -> None:
    """The page's own "predict before you look" prompts for what it shows (`view`: its open tab, task, ...;
    the settings rnnviz.app.prompts.PROMPT_VIEWS names), folded; drawn by lecture_ui.prompts_ui."""
    lecture_ui.prompts_ui(page, lang, **view)


@contextlib.contextmanager
def running(stop_key: str, lang: str, where=None):
    """While a live run lasts: a Stop button (at `where`, a column, or above the bar) and a progress bar; yields
    the bar. A click on Stop reruns the page, which ends the run: the caller keeps what was recorded so far in
    the session as it comes, so nothing is lost. Both are gone when the run ends."""
    stop = (where or st).empty()
    stop.button(t("grad.train.stop", lang), key=stop_key, width="stretch" if where is not None else "content")
    bar = st.progress(0.0)
    try:
        yield bar
    finally:
        bar.empty()
        stop.empty()


def shown_result(name: str, key, ready, stale_ok=lambda own: True) -> dict | None:
    """What a page shows for the settings `key` (a dict with "key" and "source"): the session's own result
    st.session_state[name] when it was made for `key`; else the one ready for `key` (`ready()`: shipped, or
    trained by another session; a dict, or None), fetched once per key and kept in the session under
    name + ".ready", so a rerun copies nothing; else the session's own result for other settings with
    "source": "stale" (the page says so) if `stale_ok(own)`; else None."""
    own = st.session_state.get(name)
    if own is not None and own["key"] == key:
        return own
    kept = st.session_state.get(f"{name}.ready")
    if kept is None or kept["key"] != key:
        value = ready()
        kept = st.session_state[f"{name}.ready"] = None if value is None else dict(value, key=key)
    if kept is not None:
        return kept
    return None if own is None or not stale_ok(own) else dict(own, source="stale")


# ---- Markdown tables: drawn by Streamlit's Markdown renderer, which every page has loaded already ----------
# An st.dataframe loads its data grid's JavaScript (about 1.3 MB) and pandas; on the Hello page's first
# view that made the trained timeline appear about 0.3-0.4 s later (bench/bench_browser.py).

def markdown_table(header: list[str], rows: list[list[str]], align: str = "") -> str:
    """A GitHub-flavoured Markdown table. Cells are Markdown: pass user text through `md_literal`.
    align: one letter per column, l / r / c (left when missing)."""
    rule = {"l": ":--", "r": "--:", "c": ":-:"}
    seps = [rule.get(align[i] if i < len(align) else "l", ":--") for i in range(len(header))]
    return "\n".join("| " + " | ".join(r) + " |" for r in [header, seps, *rows])


def rows_table(rows: list[dict], columns: dict[str, str], lang: str, fmt: dict | None = None, **kwargs) -> None:
    """An st.dataframe of `rows` (dicts from the library): the keys of `columns` in their order, headed by the
    translations of their values, each cell through fmt[key] where given (a translation, a number format)."""
    import pandas as pd                     # loaded by the pages that draw a data grid only
    fmt = fmt or {}
    st.dataframe(pd.DataFrame({t(head, lang): [fmt[k](r[k]) if k in fmt else r[k] for r in rows]
                               for k, head in columns.items()}), hide_index=True, **kwargs)


def scroll_box(n_rows: int, max_rows: int = 10, height: int = 420):
    """A container for a table of n_rows: scrolls inside a fixed height when the table is long."""
    return st.container(height=height) if n_rows > max_rows else st.container()


def error_message(e: Exception, lang: str) -> str:
    """The one way a page words a library error for the user: an `RnnvizError` as the translation of its
    key ("err.<domain>.<code>") filled with its parameters; where its English message adds specifics the
    table does not have (a row, a file name), that message too (in English: the message alone). Any other
    error: its message."""
    from rnnviz.errors import RnnvizError
    from rnnviz.i18n import TEXT
    if isinstance(e, RnnvizError) and e.key in TEXT:
        if e.specific:
            return str(e) if lang == "en" else f"{t(e.key, lang)} ({e})"
        return t(e.key, lang, **e.params)
    return str(e)


# ---- downloads and model files ---------------------------------------------------------------------------------
def download(kind: str, build, file_name: str, mime: str, key: str, lang: str, where=None) -> None:
    """A download button of `kind` ("model", "models", "csv", "html": its label "ui.download.<kind>" and help): the
    file's bytes come from `build()` only when it is pressed (Streamlit runs it on its own thread: `build` must not
    touch Streamlit), and pressing it does not rerun the page."""
    (where or st).download_button(t(f"ui.download.{kind}", lang), data=build, file_name=file_name, mime=mime, key=key,
                                  help=t(f"ui.download.{kind}.help", lang), on_click="ignore", icon=":material/download:")


class _KeptSpec:
    """What ui.plotly_chart hands Streamlit: a plotly figure in Streamlit's eyes (an instance of BaseFigure),
    whose `to_dict` is a dict already made. Made with object.__new__ (no plotly validation, nothing copied);
    Streamlit reads nothing of it but `to_dict` (st.plotly_chart: return_figure_from_figure_or_data)."""

    _cls = None

    @classmethod
    def of(cls, spec: dict):
        if cls._cls is None:
            from plotly.basedatatypes import BaseFigure
            cls._cls = type("KeptFigure", (BaseFigure,), {"to_dict": lambda self: self.__dict__["_spec"]})
        obj = object.__new__(cls._cls)
        obj.__dict__["_spec"] = spec
        return obj


def plotly_chart(fig, key: str, where=None, version=None, **kw):
    """st.plotly_chart(fig, key=key, **kw), for every figure a page draws.

    - The figure's dict (Streamlit starts every draw with plotly's `fig.to_dict()`, a deep copy with every
      array base64-encoded: about 3.5 ms for the Hello timeline, on every rerun) is made on the first draw,
      kept on the figure and handed to Streamlit again on later ones (the figure itself is never changed, so
      a figure shared between sessions is safe). The browser gets the same spec and element id. A caller
      that changes a drawn figure in place gives each state its own `version` (the dict is made again).
    - In the presenter view (?present=1) the spec's text is larger (`rnnviz.figures.style.presenter_spec`:
      every font size and the margins x1.25, so a figure's words read like the page's from the back of a
      hall); that copy is kept beside the plain one."""
    from rnnviz.figures.style import kept_spec
    spec = kept_spec(fig, version, presenting())
    return (where or st).plotly_chart(_KeptSpec.of(spec), key=key, **kw)


def session_figure(name: str, key: tuple, build, max_entries: int = 4):
    """The figure for `key`, built once per server (`rnnviz.app.cache.shared_figure`: each session its own
    copy) and kept in this session (st.session_state[name], the last `max_entries` keys), so every rerun draws
    the same object (`plotly_chart` then reuses its dict). st.cache_data would unpickle a new Figure (plotly
    validates every property again) on each rerun."""
    from rnnviz.app.cache import LRU, shared_figure
    memo = st.session_state.get(name)
    if not isinstance(memo, LRU):
        memo = st.session_state[name] = LRU(max_entries)
    fig = memo.get(key)
    if fig is None:
        fig = memo[key] = shared_figure(key, build)
    return fig


def figure_download(fig, name: str, lang: str, where=None) -> None:
    """The button under a page's main figure: the figure as one standalone HTML file (works offline)."""
    from rnnviz.app.export import file_stem
    from rnnviz.figures.export import figure_html
    title = f"rnnviz · {name}"
    download("html", lambda: figure_html(fig, title), f"{file_stem(name)}.html", "text/html", f"{name}.html_dl", lang,
             where)


def model_upload(key: str, lang: str, load):
    """A .safetensors uploader (its label is the expander's around it) whose file goes through `load(bytes)` once per upload. Returns what `load` returned
    for a newly uploaded file, else None. A file `load` refuses (a RnnvizError) gets the translated message, shown
    while that file stays in the uploader; nothing else in the session changes."""
    from rnnviz.errors import RnnvizError
    ss = st.session_state
    up = st.file_uploader(t("step.load", lang), type=["safetensors"], key=key, help=t("step.load.help", lang),
                          label_visibility="collapsed")             # the expander around it says what it is
    if up is None:
        ss.pop(f"{key}.error", None)
        return None
    if ss.get(f"{key}.seen") != up.file_id:
        ss[f"{key}.seen"] = up.file_id
        ss.pop(f"{key}.error", None)
        try:
            return load(up.getvalue())
        except RnnvizError as e:
            ss[f"{key}.error"] = (up.file_id, e)
    file_id, e = ss.get(f"{key}.error", (None, None))
    if file_id == up.file_id:
        st.error(t("step.load.bad", lang, name=md_literal(up.name), msg=error_message(e, lang)))
    return None
