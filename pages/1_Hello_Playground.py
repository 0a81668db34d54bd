"""The "hello" playground: type a word, train an RNN / LSTM / GRU on next-character prediction in a
blink, and inspect every number the network computed at every time step.

Load order matters on a first visit: the title, the form and the picture of the task go to the browser
before torch is imported (about 1.5 s), so the browser loads its chart library while the server imports
torch and trains. The modules imported here load without torch; torch comes with `ui.device_ui` below."""
import streamlit as st

import lecture_ui
import ui
from rnnviz.app.export import file_stem, hello_model_bytes, hello_trace_bytes
from rnnviz.app.playground import (HIDDEN_CHOICES, LR_CHOICES, SEED_RANGE, STEPS_RANGE, PlaygroundConfig, cell_figure,
                                   run_figures, shared_run)
from rnnviz.data.text import MAX_TEXT_CHARS, TextError, Vocab, show_char, validate_text
from rnnviz.figures.step import unrolled_figure
from rnnviz.figures.style import CELL_NAMES
from rnnviz.i18n import t

lang = ui.setup_page("hello.title", ":material/waving_hand:", defer_device=True)
ss = st.session_state
DEFAULT = PlaygroundConfig()
CELL_NAMES = CELL_NAMES


def settings_ui() -> tuple[PlaygroundConfig, bool]:
    """The training form; its first values come from the URL. Returns the config and whether Train was pressed."""
    ui.init_state({
        "hello.text": ui.qp_str("text", DEFAULT.text, MAX_TEXT_CHARS),
        "hello.cell": ui.qp_choice("cell", DEFAULT.cell, CELL_NAMES),
        "hello.hidden": ui.qp_int("hidden", DEFAULT.hidden, *HIDDEN_CHOICES),
        "hello.lr": ui.qp_float("lr", DEFAULT.lr, LR_CHOICES),
        "hello.steps": ui.qp_int("steps", DEFAULT.steps, *STEPS_RANGE),
        "hello.seed": ui.qp_int("seed", DEFAULT.seed, *SEED_RANGE),
    })
    ui.check_state({"hello.cell": ("cell", ui.as_choice(DEFAULT.cell, CELL_NAMES)),
                    "hello.hidden": ("hidden", ui.as_int(DEFAULT.hidden, *HIDDEN_CHOICES)),
                    "hello.lr": ("lr", ui.as_choice(DEFAULT.lr, LR_CHOICES)),
                    "hello.steps": ("steps", ui.as_int(DEFAULT.steps, *STEPS_RANGE)),
                    "hello.seed": ("seed", ui.as_int(DEFAULT.seed, *SEED_RANGE))})
    with st.form("hello.form", border=True):
        st.markdown(f"**{t('hello.settings', lang)}**")
        c1, c2 = st.columns([3, 2])
        c1.text_input(t("hello.text", lang), key="hello.text", max_chars=MAX_TEXT_CHARS,
                      help=t("hello.text.help", lang, n=MAX_TEXT_CHARS))
        c2.radio(t("hello.cell", lang), list(CELL_NAMES), format_func=CELL_NAMES.get, key="hello.cell", horizontal=True)
        c1, c2, c3, c4 = st.columns(4)
        c1.slider(t("hello.hidden", lang), *HIDDEN_CHOICES, key="hello.hidden")
        c2.select_slider(t("hello.lr", lang), LR_CHOICES, key="hello.lr")
        c3.slider(t("hello.steps", lang), *STEPS_RANGE, step=10, key="hello.steps")
        c4.number_input(t("hello.seed", lang), *SEED_RANGE, step=1, key="hello.seed", help=t("hello.seed.help", lang))
        pressed = st.form_submit_button(t("hello.train", lang), type="primary", key=ui.work_key("hello.train"))
    cfg = PlaygroundConfig(text=ss["hello.text"], cell=ss["hello.cell"], hidden=int(ss["hello.hidden"]),
                           lr=float(ss["hello.lr"]), steps=int(ss["hello.steps"]), seed=int(ss["hello.seed"]))
    return cfg, pressed


def task_ui(text: str, cell: str) -> None:
    """The task before any training: the network unrolled over the text, each input with the next
    character it must predict (h→e, e→l, l→l, l→o), the same weights at every step."""
    try:
        text = validate_text(text)
    except TextError:
        return                                  # train_ui says what is wrong with the text
    chars, vocab = list(text[:-1]), Vocab.from_text(text).chars
    st.subheader(t("hello.task", lang))
    c1, c2 = st.columns([3, 1])
    ui.plotly_chart(_task_figure(cell, text, lang), "hello.task_fig", c1, width="stretch")
    pairs = ", ".join(f"{show_char(a)}→{show_char(b)}" for a, b in zip(text[:6], text[1:7]))
    c2.caption(t("hello.task.howto", lang, pairs=pairs + (" …" if len(text) > 7 else ""), n=len(chars),
                 vocab=", ".join(show_char(c) for c in vocab[:20]) + (" …" if len(vocab) > 20 else "")))


def _task_figure(cell: str, text: str, lang: str):
    return ui.session_figure("hello.task_figs", ("hello-task", cell, text, lang), lambda: unrolled_figure(
        cell, list(text[:-1]), lang=lang, targets=list(text[1:]), vocab=list(Vocab.from_text(text).chars)))


def train_ui(cfg: PlaygroundConfig, stopping: bool = False):
    """Train with live progress: through the server's training service (its state as it changes: waiting
    with the place in the queue, running with progress, and a Stop button), or in-process without one.
    Returns the new run, or None (with a message) when the input is bad or the training did not happen;
    the previous model stays in the session either way."""
    def cancelled():
        ss["hello.cancelled"] = cfg                     # not trained again on its own: Train does

    try:
        out = ui.training(lambda **job: shared_run(cfg, device=ui.device(), lang=lang, **job), lang, "hello.stop",
                          stop_always=False, stopping=stopping, on_cancelled=cancelled)
    except TextError as e:
        st.error(t("hello.bad_text", lang, msg=ui.error_message(e, lang)))
        return None
    except ValueError as e:
        st.error(t("hello.bad_setting", lang, msg=str(e)))
        return None
    if out is None:                                     # the queue was full, the job failed or was cancelled
        return None
    run, reused = out
    run.extras["reused"] = reused
    ss["hello.run"] = run
    ss.pop("hello.cancelled", None)
    ui.set_query_params({"text": cfg.text, "cell": cfg.cell, "hidden": cfg.hidden, "lr": cfg.lr,
                         "steps": cfg.steps, "seed": cfg.seed})
    return run


def cell_ui(run) -> None:
    """Beside the task picture, once trained: the trained cell itself, animated step by step with its numbers
    (off by default: the page's first view stays light)."""
    ui.url_state({"hello.show_cell": ("show_cell", ui.as_bool(False))})
    if not st.toggle(t("hello.cell_toggle", lang), key="hello.show_cell"):
        return
    c1, c2 = st.columns([3, 1])
    ui.plotly_chart(cell_figure(run, lang), "hello.cell_fig", c1, width="stretch")
    c2.caption(t("cell.howto", lang) + " " + t(f"cell.howto.{run.cfg.cell}", lang))


def summary_ui(run) -> None:
    res, tr = run.result, run.trace
    st.success(t("hello.trained", lang, cell=CELL_NAMES[run.cfg.cell], hidden=run.cfg.hidden, steps=res.steps,
                 ms=run.seconds * 1000, device=run.device.upper(), loss=tr.loss, acc=tr.accuracy)
               + (" " + t("hello.reused", lang) if run.extras.get("reused") else ""))
    if res.status in ("diverged", "deadline", "stopped"):
        # the library's message is English: other languages word the same facts (steps done, weights kept)
        msg = res.message if lang == "en" else t(f"hello.msg.{res.status}", lang, step=res.steps + 1, good=res.steps)
        (st.error if res.status == "diverged" else st.warning)(t(f"hello.status.{res.status}", lang, msg=msg))
    if tr.accuracy < 1.0:
        st.info(t("hello.not_perfect", lang))
    c1, c2 = st.columns([3, 1])
    ui.plotly_chart(run_figures(run, lang)["loss"], "hello.loss_fig", c1, width="stretch")
    c2.markdown(f"#### {t('hello.loss', lang)}")
    c2.caption(t("hello.loss.howto", lang))


def timeline_ui(run) -> None:
    """One figure, one time axis, one cursor: the cursor moves in the browser (slider and play inside the
    figure, with every value at its step in the table under the panels), so moving it never reruns the
    script, let alone retrains. ?t= in a link opens it at that step; as the server never hears of a move of
    the cursor, the URL cannot follow it (the one setting of this page a link does not keep)."""
    from rnnviz.figures.timeline import cursor_keys_html, open_at
    st.subheader(t("hello.states", lang))
    c1, c2 = st.columns([3, 1])
    fig, T = run_figures(run, lang)["timeline"], run.trace.T
    start = ui.qp_int("t", 1, 1, T)
    if "t" in st.query_params:                  # the step used (a crafted t = 999 is the last step): said once
        ui.set_query_params({"t": start})
    open_at(fig, start)                         # in place, every rerun (step 1 too: the figure may be at another)
    ui.plotly_chart(fig, "hello.timeline_fig", c1, version=start, width="stretch")
    files = c1.container(horizontal=True)          # the files are built only when a button is pressed
    stem = file_stem("hello", run.cfg.cell, run.cfg.hidden)
    ui.download("model", lambda: hello_model_bytes(run), f"{stem}.safetensors", "application/octet-stream",
                "hello.model_dl", lang, files)
    ui.download("csv", lambda: hello_trace_bytes(run), f"{stem}-trace.csv", "text/csv", "hello.csv_dl", lang, files)
    ui.figure_download(fig, "hello-timeline", lang, files)
    c2.caption("\n\n".join(t(k, lang) for k in ("hello.cursor.howto", "hello.cursor.keyhints",     # one element
                                                 f"hello.states.howto.{run.trace.cell_type}", "hello.probs.howto",
                                                 "hello.grad.howto", "hello.values.howto")))
    c2.html(cursor_keys_html("hello.timeline_fig"), unsafe_allow_javascript=True)   # J / K / L, in the browser


def predictions_ui(run) -> None:
    st.subheader(t("hello.predictions", lang))
    st.caption(t("hello.predictions.howto", lang))
    key = ("predictions_md", lang)                  # the table of a run is made once, not on every rerun
    if key not in run.extras:
        from rnnviz.tracing.generate import format_top, prediction_rows
        rows = prediction_rows(run.trace, run.vocab, k=3)
        cols = ["t", "input", "target", "top", "p_target", "ok"]
        run.extras[key] = (len(rows), ui.markdown_table(
            [t(f"hello.col.{c}", lang) for c in cols],
            [[str(r["t"]), f"**{ui.md_literal(show_char(r['input']))}**", f"**{ui.md_literal(show_char(r['target']))}**",
              ui.md_literal(format_top(r["top"])), f"{r['p_target']:.3f}", ":green[**✓**]" if r["correct"] else ":red[**✗**]"]
             for r in rows], align="rcclrc"))
    n, table = run.extras[key]
    ui.scroll_box(n).markdown(table)


@st.fragment
def generate_ui(run) -> None:
    """The Generate form and its sample: a fragment, so pressing Generate reruns this part alone (not the
    training, the figures and tables above it)."""
    from rnnviz.tracing.generate import MAX_GENERATE, generate
    st.subheader(t("hello.generate", lang))
    st.caption(t("hello.generate.howto", lang))
    chars = "".join(show_char(c) for c in run.vocab.chars)
    # The URL holds the settings of the sample shown (prime, gen, temp, gen_seed), and only while one is shown:
    # a link with them makes the same sample (seeded) on opening.
    linked = "hello.gen_n" not in ss and "gen" in st.query_params
    if ss.get("hello.gen_for") not in (None, run.cfg):         # a new model: its own text's first character
        ss["hello.prime"] = run.cfg.text[0] if run.cfg.text else ""
    ss["hello.gen_for"] = run.cfg
    ui.url_state({"hello.prime": ("prime", ui.as_text(run.cfg.text[0] if run.cfg.text else "", 50)),
                  "hello.gen_n": ("gen", ui.as_int(20, 1, MAX_GENERATE)),
                  "hello.temp": ("temp", ui.as_num(1.0, 0.1, 3.0, 0.1)),
                  "hello.gen_seed": ("gen_seed", ui.as_int(0, 0, 9999))}, write=False)
    with st.form("hello.gen_form"):
        c1, c2, c3, c4 = st.columns(4)
        prime = c1.text_input(t("hello.prime", lang), key="hello.prime", max_chars=50,
                              help=t("hello.prime.help", lang, chars=chars))
        n = c2.slider(t("hello.gen_n", lang), 1, MAX_GENERATE, key="hello.gen_n")
        temp = c3.slider(t("hello.temperature", lang), 0.1, 3.0, step=0.1, key="hello.temp")
        seed = c4.number_input(t("hello.gen_seed", lang), 0, 9999, key="hello.gen_seed")
        if st.form_submit_button(t("hello.generate.button", lang)) or linked:
            run.extras.pop("sample", None)
            try:
                run.extras["sample"] = prime + generate(run.model, run.vocab, prime, int(n), float(temp), int(seed))
                run.extras["sample_args"] = {"prime": prime, "gen": int(n), "temp": float(temp), "gen_seed": int(seed)}
            except ValueError as e:
                st.error(t("hello.bad_prime", lang, msg=str(e)))
    if "sample" in run.extras:
        st.code(run.extras["sample"], language=None, wrap_lines=True)
        ui.set_query_params(run.extras["sample_args"])
    else:
        for name in ("prime", "gen", "temp", "gen_seed"):
            st.query_params.pop(name, None)


st.title(t("hello.title", lang))
st.markdown(t("hello.intro", lang))
task_slot = st.container()                  # the task picture goes above the form ...
with ui.controls(lang):                     # folded away in the presenter view
    cfg, pressed = settings_ui()
with task_slot:                             # ... but needs the form's values
    task_ui(cfg.text, cfg.cell)
ui.prompts("hello", lang, text=cfg.text, cell=cfg.cell)
ui.device_ui(lang)                          # imports torch: after the light part above is on its way
run = ss.get("hello.run")
service, job = ui.training_job()            # this session's training still waiting or running (a rerun came)
stopping = job is not None and bool(ss.get("hello.stop"))
if stopping:                                # Stop was clicked: the job stops, keeping what it learnt
    service.cancel(ui.session_id())
if (pressed or (run is None and ss.get("hello.cancelled") != cfg) or lecture_ui.scene_entered()
        or job is not None):
    if pressed:                                  # a link's ?t= opened the last model's timeline, not this one's
        st.query_params.pop("t", None)
    new = train_ui(cfg, stopping)
    if new is None and run is not None:              # the error above is about the new settings, not this model
        st.info(t("hello.stale", lang, text=run.cfg.text, cell=CELL_NAMES[run.cfg.cell]))
    run = new or run
if run is None:
    st.stop()
with task_slot:                             # the trained cell, under the task picture
    cell_ui(run)
summary_ui(run)
timeline_ui(run)
predictions_ui(run)
generate_ui(run)
