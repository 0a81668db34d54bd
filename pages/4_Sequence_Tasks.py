"""Sequence tasks lab: every input/output shape of the lecture notes on real data, RNN / LSTM / GRU
trained live on the same data and seed, and one example inspected step by step."""
import streamlit as st

import ui
from rnnviz import data as D
from rnnviz.app.export import file_stem, lab_models_bytes
from rnnviz.app.lab import CELLS_OF, DEFAULT_STEPS, TASKS, build_task, example, overfitting
from rnnviz.app.lab_runs import (BUILTIN, DATA_CHOICES, LabSetting, best_cell, build, decode_rows, lab_run, result_rows,
                                 top_rows, train_lab)
from rnnviz.data.text import show_char
from rnnviz.figures import lab as FL
from rnnviz.i18n import t
from rnnviz.tracing.generate import decode_steps, sample_steps
from rnnviz.tracing.outputs import per_step_outputs

lang = ui.setup_page("lab.title", ":material/science:")
ss = st.session_state
STEPS = [100, 300, 600, 1000, 1500, 2000, 3000]


@st.cache_data(show_spinner=False, max_entries=1)
def _mnist1d():
    return D.mnist1d()


def source_ui(task: str):
    """The task's data choice (`DATA_CHOICES`). Returns (the built-in data's id, or None for the user's own data;
    the `source` for build_task when it is the user's, "" while there is none yet)."""
    if task == "mnist_rows":
        st.query_params.pop("data", None)                       # the user's files: nothing a link can hold
        return None, mnist_rows_ui()
    spec = DATA_CHOICES[task]
    if spec.label is None:                                      # one built-in data set
        if task == "mnist1d":
            with st.spinner(t("lab.mnist1d.generating", lang)):
                _mnist1d()
        st.caption(t(spec.about, lang))
        ui.set_query_params({"data": BUILTIN[task][0]})
        return BUILTIN[task][0], None
    choices = spec.choices(task)
    # data=upload in a link opens the upload (the file itself cannot travel in a link, nor its column names)
    linked = url_task == task                                   # ?data= is the data of the link's ?task=
    ui.url_state({f"lab.data.{task}": ("data", ui.as_choice(choices[0], choices) if linked else choices[0])})
    choice = st.radio(t(spec.label, lang), choices, horizontal=True, key=f"lab.data.{task}",
                      format_func=lambda v: t(f"{spec.prefix}.{v}", lang))
    if choice != "upload":
        if spec.about:
            st.caption(t(f"{spec.about}.{choice}", lang))
        return choice, None
    cols = st.columns(len(spec.fields)) if spec.fields else []
    fields = [c.text_input(t(label, lang), default, key=f"lab.{task}.{label}", max_chars=100)
              for c, (label, default) in zip(cols, spec.fields)]
    up = st.file_uploader(t(spec.upload, lang), type=list(spec.types), key=f"lab.upload.{task}")
    if up is None:
        return None, ""
    try:
        return None, spec.parse(up.getvalue(), *fields)
    except ValueError as e:
        st.error(ui.error_message(e, lang))
        return None, ""


def mnist_rows_ui():
    """MNIST read row by row: the user's IDX files, or a download. The images and labels, or "" until loaded."""
    st.caption(t("lab.mnist_rows.about", lang))
    c1, c2 = st.columns(2)
    img = c1.file_uploader(t("lab.mnist_rows.images", lang), key="lab.idx_img")
    lab_ = c2.file_uploader(t("lab.mnist_rows.labels", lang), key="lab.idx_lab")
    if st.button(t("lab.mnist_rows.download", lang), key="lab.download"):
        try:
            with st.spinner("…"):
                ss["lab.mnist_dir"] = str(D.download_mnist(timeout=5.0).get("test_images").parent)
        except ValueError as e:
            st.error(ui.error_message(e, lang))
    try:
        if img is not None and lab_ is not None:
            return D.load_mnist_rows(D.read_idx(img.getvalue()), D.read_idx(lab_.getvalue()), limit=10_000)
        if "lab.mnist_dir" in ss:
            return D.load_mnist(ss["lab.mnist_dir"], "test", 10_000)
    except ValueError as e:
        st.error(ui.error_message(e, lang))
    return ""


def train_ui(task_name: str, data: str | None, source):
    """The training budget and the Train button. Returns the run to show: trained now (live), else the
    session's own run of this task, else a run ready for these settings (shipped, or trained by another
    session with the same settings), else None."""
    key_steps = f"lab.steps.{task_name}"                # each task its own budget (its shipped run's by default)
    ui.url_keys(key_steps)
    ui.check_state({key_steps: ("steps", ui.as_choice(DEFAULT_STEPS[task_name], STEPS))})    # a crafted widget value
    if key_steps not in ss:                             # ?steps= is the budget of the link's ?task=
        steps = ui.qp_int("steps", DEFAULT_STEPS[task_name], 100, 3000) if url_task == task_name else DEFAULT_STEPS[task_name]
        ss[key_steps] = min(STEPS, key=lambda s: abs(s - steps))
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    steps = c1.select_slider(t("hello.steps", lang), STEPS, key=key_steps)
    go = c2.button(t("lab.train", lang), type="primary", key=ui.work_key("lab.go"), width="stretch")
    ui.set_query_params({"steps": steps})
    setting = LabSetting(task_name, data, int(steps)) if data else None
    key = (task_name, setting)                          # setting None: the user's own data
    if not go:
        return ui.shown_result("lab.run", key, lambda: lab_run(setting) if setting else None,
                               stale_ok=lambda own: own["key"][0] == task_name and own["results"])
    cells = CELLS_OF[task_name]
    ss["lab.run"] = run = {"key": key, "results": {}, "source": "trained", "task": None}
    try:
        task = build_task(task_name, steps=int(steps), source=source) if setting is None else build(setting)
    except ValueError as e:
        st.error(ui.error_message(e, lang))
        return None
    run["task"] = task
    # the cells trained go into the session's run, also after a Stop
    ui.training(lambda **job: train_lab(task, setting, None if setting else source, into=run["results"],
                                        device=ui.device(), **job), lang, "lab.stop", c2, cells=cells)
    return run


def results_ui(run) -> None:
    task, results = run["task"], run["results"]
    rows = result_rows(task, results)
    cols = {"cell": "grad.col.cell", "val_loss": "lab.val_loss", "accuracy": "fig.accuracy", "steps": "hello.steps",
            "seconds": "grad.col.seconds", "status": "lab.status"}
    if task.kind == "regression":                       # a forecast has no accuracy
        del cols["accuracy"]
    ui.rows_table(rows, cols, lang, {"cell": lambda v: FL.cell_name(v, lang), "val_loss": lambda v: "—" if v is None else f"{v:.4f}",
                  "accuracy": lambda v: "—" if v is None else f"{v:.1%}", "steps": lambda v: f"{v:,}",
                  "seconds": lambda v: f"{v:.1f}", "status": lambda v: t(f"train.status.{v}", lang)}, width="stretch")
    for r in rows:
        if r["status"] in ("diverged", "deadline"):
            st.warning(t("lab.cell_warning", lang, cell=FL.cell_name(r["cell"], lang), n=r["steps"],
                         status=t(f"train.status.{r['status']}", lang)))
        if r["own_budget"]:
            st.caption(t("lab.steps.own", lang, cell=FL.cell_name(r["cell"], lang), n=r["own_budget"], m=task.fit.steps))
    base = dict(task.baseline)
    fig = FL.curves_figure(results, base, lang, accuracy=task.kind != "regression")
    ui.plotly_chart(fig, key="lab.curves", width="stretch")
    c1, c2, _ = st.columns([1, 1, 2])
    ui.download("models", lambda: lab_models_bytes(run), f"{file_stem('lab', task.name)}.safetensors",
                "application/octet-stream", "lab.models_dl", lang, c1)
    ui.figure_download(fig, f"lab-{task.name}-curves", lang, c2)
    if base:
        st.caption(" · ".join(f"{FL.baseline_name(k, lang)}: {v:.3g}" for k, v in base.items()))
    if over := overfitting(results):                    # a lab must teach: say what a rising validation loss means
        st.info(t("lab.overfit", lang, cells=", ".join(t("lab.overfit.cell", lang, cell=FL.cell_name(c, lang), step=s,
                                                         best=b, last=v) for c, (s, b, v) in over.items())))


def inspect_ui(run) -> None:
    task, results = run["task"], run["results"]
    st.subheader(t("lab.inspect", lang))
    st.caption(t(f"lab.inspect.{task.name}", lang))
    c1, c2 = st.columns([1, 3])
    n_val = task.val[0].shape[0]
    ui.url_state({"lab.cell": ("cell", ui.as_choice(best_cell(results), list(results))),
                  "lab.example": ("example", ui.as_int(0, 0, n_val - 1))})
    cell = c1.radio(t("hello.cell", lang), list(results), format_func=lambda c: FL.cell_name(c, lang), key="lab.cell")
    i = c2.slider(t("lab.example", lang), 0, n_val - 1, key="lab.example")
    model = results[cell].model
    x, y = example(task, i)
    if task.kind == "seq2seq":
        d = decode_steps(model, x)
        sym = task.classes
        st.markdown(t("lab.s2s.line", lang, src=" ".join(sym[int(s)] for s in d.src),
                      out=" ".join(sym[int(o)] for o in d.outputs)))
        st.caption(t("lab.s2s.final", lang))
        st.bar_chart({"h": d.encoder_final}, height=180)
        ui.rows_table(decode_rows(d, sym), {"step": "lab.s2s.step", "input": "lab.s2s.input", "output": "lab.s2s.output",
                                            "p": "lab.s2s.p"}, lang, {"p": lambda v: round(v, 3)})
        return
    if task.kind == "regression":
        ex = task.extras
        preds = task.forecasts({c: r.model for c, r in results.items()})
        preds[t("lab.naive", lang)] = preds.pop("naive")
        ui.plotly_chart(FL.series_figure(ex["series"], ex["n_train"], preds, ex["n_train"], lang), key="lab.series_fig",
                        width="stretch")
    out = per_step_outputs(model, x, task.target(y))
    T = out.T
    shown = task.figure_inputs(x, y, T)
    labels = shown.pop("labels")
    ui.plotly_chart(FL.inspect_figure(labels, out.hidden, out.probs, task.classes, lang, **shown),
                    key="lab.inspect_fig", width="stretch")
    if task.generates:
        ui.rows_table(top_rows(task, out, y, labels), {"t": "hello.col.t", "input": "hello.col.input",
                      "target": "hello.col.target", "top": "hello.col.top"}, lang, height=240, key="lab.topk")
        generate_ui(task, model)


def generate_ui(task, model) -> None:
    st.markdown(f"#### {t('lab.generate', lang)}")
    st.caption(t("lab.generate.howto", lang))
    vocab = task.extras["vocab"]
    c1, c2, c3 = st.columns(3)
    first = next((ch for ch in vocab.chars if ch.isalpha()), vocab.chars[0])
    ui.url_state({"lab.start": ("start", ui.as_choice(first, vocab.chars)), "lab.gen_n": ("gen_n", ui.as_int(120, 10, 300)),
                  "lab.temp": ("temp", ui.as_num(0.8, 0.1, 2.0, 0.1)), "lab.gen_steps": ("gen_steps", ui.as_bool(False))})
    start = c1.selectbox(t("hello.prime", lang), list(vocab.chars), format_func=show_char, key="lab.start")
    n = c2.slider(t("hello.gen_n", lang), 10, 300, key="lab.gen_n")
    temp = c3.slider(t("hello.temperature", lang), 0.1, 2.0, step=0.1, key="lab.temp")
    g = sample_steps(model, vocab.chars.index(start), n, float(temp), seed=0)
    st.code(start + vocab.decode(g.ids), language=None, wrap_lines=True)
    if not st.toggle(t("lab.generate.show_steps", lang), key="lab.gen_steps"):   # drawn when asked: a lab view
        return                                                                   # stays within a second
    k = min(len(g.ids), 60)                                        # the first steps of the generation, one by one
    fed = [start] + list(vocab.decode(g.ids[:k - 1]))             # what the model read at each step
    ui.plotly_chart(FL.inspect_figure([show_char(c) for c in fed], g.hidden[:k], g.probs[:k], list(vocab.chars), lang,
                                      targets=g.ids[:k]), key="lab.gen_fig", width="stretch")
    st.caption(t("lab.generate.steps", lang))


st.title(t("lab.title", lang))
st.markdown(t("lab.intro", lang))
with ui.controls(lang):                     # folded away in the presenter view
    ui.url_keys("lab.task")
    task_name = st.radio(t("grad.task", lang), TASKS, key="lab.task", horizontal=True,
                         index=TASKS.index(ui.qp_choice("task", "mnist1d", TASKS)),
                         format_func=lambda v: t(f"lab.task.{v}", lang))
    url_task = st.query_params.get("task")
    ui.set_query_params({"task": task_name})
    data, source = source_ui(task_name)
ui.prompts("lab", lang, task=task_name)
if data is None and isinstance(source, str) and source == "":
    st.info(t("lab.need_upload" if task_name != "mnist_rows" else "lab.mnist_rows.need", lang))
    st.stop()
run = train_ui(task_name, data, source)
if run is None or not run["results"]:
    st.info(t("lab.press_train", lang))
    st.stop()
if run["source"] != "trained":
    st.caption(t(f"lab.source.{run['source']}", lang))
results_ui(run)
inspect_ui(run)
