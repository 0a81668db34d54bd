"""Build times of the views no other tool has (issue #15), on one torch thread, as the pages compute them.

    python bench/bench_insight.py                    # writes bench/results/insight.md
    python bench/bench_insight.py --judge cpu        # pass/fail by this thread's CPU time (busy machine)

1. Where the gradient comes from: `gradient_sources` for RNN, LSTM and GRU, T = 100, H = 128 (float32, the
   issue's case). Target: <= 0.5 s for the three. Also (report) the Vanishing Gradients tab's first view at its
   defaults (`source_views`: float64, three cells, the sources and the input attribution) and after training
   (the shipped models at step 100), and its figures.
2. Interventions: the Step page's brackets example (`compare`: the edited replay from step 68 of 90, LSTM 64
   units) and its figure. Target: <= 0.15 s together (a slider move on the tab recomputes both).
3. The cell, animated: `step_terms` for every step and the figure with one frame per step (brackets preset,
   90 steps). Target: <= 0.5 s (built once per view and set of units).
4. The match view: the preset's training text (about 3,000 characters) traced once, then `match_spans` and the
   figure for the unit explorer's default span. Target: <= 0.3 s for a search on a traced text (a move of the
   span or threshold), (report) the trace of the text.

Median of N repeats after warm-up; wall (perf_counter) and this thread's CPU time (thread_time).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
from benchlib import cpu_info, load1, markdown_table, measure, write_report  # noqa: E402

ROWS: list[dict] = []
JUDGE = "wall"
CELLS = ("rnn", "lstm", "gru")


def ms(s: float) -> str:
    return f"{s * 1e3:.1f} ms"




def row(name: str, target: str, res: tuple[float, float, float], limit: float | None, note: str = "") -> None:
    wall, cpu, wmin = res
    judged = cpu if JUDGE == "cpu" else wall
    status = "—" if limit is None else ("pass" if judged <= limit else "**FAIL**")
    other = f"wall median {ms(wall)}" if JUDGE == "cpu" else f"CPU median {ms(cpu)}"
    ROWS.append({"name": name, "target": target, "measured": ms(judged), "status": status,
                 "note": f"{other}; min wall {ms(wmin)}; {note}".rstrip("; ")})
    print(f"  {name}: {ms(judged)} [{status}] {other}; {note}", flush=True)


def bench_sources(args) -> None:
    from rnnviz.app.vanishing import (DEFAULT_TRAIN_STEPS, GradConfig, make_model, ready_heatmaps, source_views,
                                      task_for)
    from rnnviz.figures import gradients as FG
    from rnnviz.tracing.gradients import gradient_sources
    print("\n[1] where the gradient comes from")
    cfgs = [GradConfig(cell=c, hidden=128, T=100) for c in CELLS]
    x, y = task_for(cfgs[0])
    models = [make_model(c) for c in cfgs]
    row("gradient_sources rnn+lstm+gru, T100 H128 (float32)", "≤ 500 ms",
        measure(lambda: [gradient_sources(m, x, y) for m in models], args.repeats), 0.5)
    row("  source_views at the tab's defaults (T100 H64, float64, with the attribution)", "(report)",
        measure(lambda: source_views(GradConfig()), args.repeats), None, "the tab's first view; cached per setting")
    heat = ready_heatmaps(GradConfig(), DEFAULT_TRAIN_STEPS)
    states = {c: heat[c]["snapshots"][DEFAULT_TRAIN_STEPS] for c in CELLS}
    row("  source_views after training (the shipped models at step 100)", "(report)",
        measure(lambda: source_views(GradConfig(), states=states), args.repeats), None)
    res = source_views(GradConfig())
    src = {c: res[c]["sources"] for c in CELLS}
    row("  sources_figure + source_share_figure + attribution_figure", "(report)",
        measure(lambda: (FG.sources_figure(src, 100, "en"), FG.source_share_figure(src, "en"),
                         FG.attribution_figure(res["lstm"]["attr"], res["chars"][:60], 60, "en")), args.repeats), None)


def _brackets():
    from rnnviz.app.stepthrough import prepare_view, source_from_preset
    src = source_from_preset("brackets_lstm")
    return src, prepare_view(src, src.text)


def bench_intervene(args) -> None:
    from rnnviz.app import interventions as IV
    from rnnviz.figures.intervene import intervention_figure
    print("\n[2] interventions")
    src, view = _brackets()
    edit = IV.edit_from_settings(view, IV.preset_edit("depth_forget", src, view))

    def once():
        view._figs.pop("_interventions", None)                 # uncached: what a new edit costs
        cmp = IV.compare(view, edit)
        intervention_figure(cmp, view.chars, list(view.vocab_chars), edit.step, "en")
    row("brackets example: compare (edited replay) + intervention_figure", "≤ 150 ms", measure(once, args.repeats), 0.15,
        f"LSTM 64 units, {view.trace.T} steps, edit at step {edit.step}")


def bench_cell(args) -> None:
    from rnnviz.figures.cell import cell_figure
    from rnnviz.tracing.analysis import step_terms
    print("\n[3] the cell, animated")
    _, view = _brackets()
    tr = view.trace

    def once():
        steps = [step_terms(view.model, tr, t) for t in range(1, tr.T + 1)]
        cell_figure(steps, tr.cell_type, view.chars, [44, 38], "en")
    row("step_terms for every step + cell_figure (brackets LSTM)", "≤ 500 ms", measure(once, args.repeats), 0.5,
        f"{tr.T} frames")


def bench_match(args) -> None:
    from rnnviz.app.stepthrough import corpus_trace, training_corpus
    from rnnviz.figures.step import matches_figure
    from rnnviz.tracing.analysis import find_units, match_spans
    print("\n[4] the match view")
    src, view = _brackets()
    text = training_corpus(src)

    def trace_text():
        src.extras.pop("corpus_traces", None)
        corpus_trace(src, text)
    row(f"  trace of the training text ({len(text):,} characters)", "(report)", measure(trace_text, args.repeats), None)
    found = corpus_trace(src, text)
    lo, hi = view.default_span
    units = [r["unit"] for r in find_units(view.trace.hidden, lo - 1, hi, 0.5) if r["score"] > 0][:3]

    def search():
        m = match_spans(found["hidden"], units, hi - lo + 1, 0.5, top=6)
        matches_figure(m, found["hidden"], found["chars"], units, "en")
    row("match_spans + matches_figure on the traced text", "≤ 300 ms", measure(search, args.repeats), 0.3,
        f"units {units}, span of {hi - lo + 1}")


def main(argv=None) -> int:
    global JUDGE
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--judge", choices=("wall", "cpu"), default="wall")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "insight.md"))
    args = ap.parse_args(argv)
    JUDGE = args.judge
    torch.set_num_threads(1)
    print(f"rnnviz insight-view benchmarks; torch {torch.__version__}; {cpu_info()}")
    load0, t0 = load1(), time.perf_counter()
    bench_sources(args)
    bench_intervene(args)
    bench_cell(args)
    bench_match(args)
    tab = markdown_table(ROWS)
    print("\n" + tab)
    write_report(args.out, "rnnviz: build times of the insight views (#15)", "bench_insight.py", argv, load0, tab, [
        f"total benchmark time {time.perf_counter() - t0:.0f} s; median of {args.repeats} repeats after warm-up, "
        "one torch thread",
        f"pass/fail judged by median {'CPU time (--judge cpu)' if JUDGE == 'cpu' else 'wall-clock time'}"])
    return 1 if any(r["status"] == "**FAIL**" for r in ROWS) else 0


if __name__ == "__main__":
    sys.exit(main())
