"""The pages' own "predict before you look" prompts (assets/prompts.toml): the file and its validation, every
answer checked against the model or the data it is about, and each page asking them (AppTest, both languages)."""
from __future__ import annotations

import html
import math
from collections import Counter

import numpy as np
import pytest

from rnnviz.app.lectures import PAGE_PARAMS, LectureError
from rnnviz.app.prompts import PROMPT_VIEWS, for_view, load_prompts, parse_prompts
from rnnviz.i18n import LANGS, t
from tests.apptest import open_page
from tests.korean import english_words

GOOD = '''
[[prompts]]
id = "a"
page = "step"
show = { tab = "units", src = "brackets_lstm" }
answer = 1
text = { en = "Q?", ko = "질문?" }
choices = { en = ["x", "y"], ko = ["ㄱ", "ㄴ"] }
explain = { en = "E", ko = "ㅇ" }

[[prompts]]
id = "b"
page = "grad"
answer = 0
text = { en = "Q2?", ko = "질문2?" }
choices = { en = ["x", "y", "z"], ko = ["ㄱ", "ㄴ", "ㄷ"] }
explain = { en = "E", ko = "ㅇ" }
'''
PROMPTS = {p.id: p for p in load_prompts()}
SCRIPT = {"hello": "pages/1_Hello_Playground.py", "step": "pages/2_Step_Through.py",
          "grad": "pages/3_Vanishing_Gradients.py", "lab": "pages/4_Sequence_Tasks.py"}


# ---- the file ----------------------------------------------------------------------------------------------------

def test_a_prompts_file_parses_into_questions_on_pages():
    a, b = parse_prompts(GOOD)
    assert (a.id, a.page, a.show) == ("a", "step", {"tab": "units", "src": "brackets_lstm"})
    assert a.question.answer == 1 and a.question.choices["ko"] == ("ㄱ", "ㄴ") and b.show == {}
    assert a.applies({"tab": "units", "src": "brackets_lstm"}) and not a.applies({"tab": "units", "src": "hello"})
    assert b.applies({"tab": "toy"})


@pytest.mark.parametrize("old, new, where", [
    ('answer = 1', 'answer = 2', "prompt 1 (a), answer"),                            # no such choice
    ('answer = 0', 'answer = -1', "prompt 2 (b), answer"),
    ('answer = 1', 'answer = true', "prompt 1 (a), answer"),
    ('tab = "units"', 'tab = "nope"', "prompt 1 (a), show.tab"),                      # a tab the page has not
    ('src = "brackets_lstm"', 'src = "mystery"', "prompt 1 (a), show.src"),           # a model the page has not
    ('show = { tab = "units", src = "brackets_lstm" }', 'show = { t = 3 }', "prompt 1 (a), show.t"),  # not a view
    ('show = { tab = "units", src = "brackets_lstm" }', 'show = { tabb = "units" }', "prompt 1 (a), show.tabb"),
    ('page = "grad"', 'page = "lecture"', "prompt 2 (b), page"),                      # a page without prompts
    ('text = { en = "Q2?", ko = "질문2?" }', 'text = { en = "Q2?" }', "prompt 2 (b), text"),   # Korean missing
    ('explain = { en = "E", ko = "ㅇ" }\n\n', 'explain = { ko = "ㅇ" }\n\n', "prompt 1 (a), explain"),
    ('choices = { en = ["x", "y"], ko = ["ㄱ", "ㄴ"] }', 'choices = { en = ["x", "y"], ko = ["ㄱ"] }',
     "prompt 1 (a), choices"),                                                        # unequal translations
    ('choices = { en = ["x", "y"], ko = ["ㄱ", "ㄴ"] }', 'choices = { en = ["x"], ko = ["ㄱ"] }',
     "prompt 1 (a), answer"),                                                         # one choice is no question
    ('id = "b"', 'id = "a"', "prompt 2 (a), id"),                                     # ids are answers' keys
    ('id = "b"', 'id = "b b"', "prompt 2, id"),
    ('answer = 0', 'answer = 0\nhint = "h"', "prompt 2 (b), prompt"),                 # an unknown field
])
def test_a_broken_prompt_says_which_prompt_and_field(old, new, where):
    assert old in GOOD
    with pytest.raises(LectureError) as info:
        parse_prompts(GOOD.replace(old, new, 1), "x.toml")
    assert str(info.value).startswith(f"x.toml, {where}:") and info.value.code == "invalid"


def test_not_toml_or_no_prompts_are_clear_errors():
    with pytest.raises(LectureError, match="not valid TOML"):
        parse_prompts("[[prompts]", "x.toml")
    with pytest.raises(LectureError, match="x.toml, prompts: must be a list"):
        parse_prompts("", "x.toml")
    with pytest.raises(LectureError, match="unknown field scenes"):
        parse_prompts("scenes = []", "x.toml")


def test_the_shipped_prompts_two_to_five_per_page_every_view_real_both_languages():
    per_page = Counter(p.page for p in PROMPTS.values())
    assert set(per_page) == set(PROMPT_VIEWS) and all(2 <= n <= 5 for n in per_page.values()), per_page
    for p in PROMPTS.values():
        for name, value in p.show.items():                   # every tab, task, model named is the page's own
            kind = PAGE_PARAMS[p.page][name]
            assert name in PROMPT_VIEWS[p.page], (p.id, name)
            assert value in kind[1] if kind[0] == "choice" else 0 < len(value) <= kind[1], (p.id, name)
        q = p.question
        assert set(q.text) == set(q.choices) == set(q.explain) == set(LANGS)
        assert 0 <= q.answer < len(q.choices["en"]) == len(q.choices["ko"])
        assert len(set(q.choices["en"])) == len(q.choices["en"])
        for text in (q.text["ko"], q.explain["ko"], *q.choices["ko"]):
            assert not english_words(text), (p.id, text)       # the Korean is Korean


def test_for_view_picks_the_prompts_of_what_the_page_shows():
    assert [p.id for p in for_view("step", {"src": "brackets_lstm", "tab": "units"})] == ["step-depth-unit", "step-match-quotes"]
    assert [p.id for p in for_view("step", {"src": "korean_gru", "tab": "units"})] == []
    assert {p.id for p in for_view("grad", {"tab": "across"})} == {"grad-across-rnn", "grad-across-gates"}
    assert [p.id for p in for_view("hello", {"text": "hello", "cell": "gru"})] == ["hello-first-l", "hello-loss-start"]
    assert for_view("hello", {"text": "abcabd", "cell": "gru"}) == []
    with pytest.raises(LectureError, match="reports"):            # a page must report exactly its view
        for_view("grad", {"tab": "across", "T": 100})
    with pytest.raises(LectureError, match="no page"):
        for_view("lecture", {})


# ---- every answer is true of the model or the data it is about ----------------------------------------------

def _choice(pid: str, index: int) -> str:
    return PROMPTS[pid].question.choices["en"][index]


def test_hello_answers_hold_for_the_trained_default_model():
    from rnnviz.app.playground import PlaygroundConfig, run_playground
    from rnnviz.tracing.generate import prediction_rows
    run = run_playground(PlaygroundConfig(text="hello"))
    rows = [r for r in prediction_rows(run.trace, run.vocab, k=1) if r["input"] == "l"]
    assert [r["t"] for r in rows] == [3, 4] and [r["target"] for r in rows] == ["l", "o"]   # the same input, two answers
    first = rows[0]["top"][0][0]                                 # what the model predicts after the first l
    assert first == "l" and rows[1]["top"][0][0] == "o"
    p = PROMPTS["hello-first-l"].question
    assert [i for i, c in enumerate(p.choices["en"]) if c.startswith(first + ":")] == [p.answer]
    start = run.result.losses[0]                                 # the loss curve's first point
    q = PROMPTS["hello-loss-start"].question
    truth = 0 if start < 0.5 else 1 if abs(start - math.log(4)) < 0.15 else 2
    assert run.vocab.size == 4 and q.answer == truth, (start, q.choices["en"][q.answer])


def test_the_depth_unit_moves_back_at_a_closing_bracket():
    from rnnviz.app.stepthrough import prepare_view, source_from_preset
    source = source_from_preset("brackets_lstm")
    view = prepare_view(source, source.text)
    note = next(n for n in view.unit_notes if "depth" in n.label("en"))
    vals = (view.trace.cell if note.state == "c" else view.trace.hidden)[:, note.unit]
    chars = view.chars
    move = np.diff(np.concatenate([[0.0], vals]))                # the unit's change on reading each character
    opens = move[[i for i, c in enumerate(chars) if c in "(["]]
    closes = move[[i for i, c in enumerate(chars) if c in ")]"]]
    assert len(opens) >= 3 and len(closes) >= 3
    back = np.sign(opens.mean()) != np.sign(closes.mean()) and abs(closes.mean()) > 0.05
    still = abs(closes.mean()) < 0.05
    truth = 0 if back else 1 if still else 2
    assert PROMPTS["step-depth-unit"].question.answer == truth, (opens.mean(), closes.mean())
    assert np.mean(np.sign(closes) == np.sign(closes.mean())) > 0.7    # nearly every closing bracket, not the average


def test_one_recurrent_matrix_whatever_the_length_of_the_text():
    from rnnviz.app.stepthrough import prepare_view, source_from_preset
    from rnnviz.tracing.analysis import parameter_table
    source = source_from_preset("brackets_lstm")
    names = [n for n, _ in source.model.named_parameters() if "weight_hh" in n]
    counts = {len(text): parameter_table(prepare_view(source, text).model)[-1]["count"]
              for text in (source.text[:5], source.text)}
    truth = 0 if len(names) == 1 and len(set(counts.values())) == 1 else 1
    assert len(counts) == 2 and PROMPTS["step-shared-weights"].question.answer == truth


def test_gradient_answers_hold_at_the_pages_defaults():
    from rnnviz.app import vanishing as V
    defaults = {k: v[0] for k, v in V.KNOBS.items()}
    assert defaults["T"] == 100 and defaults["loss"] == "last"  # what the question says the page opens with
    assert "T = 100" in PROMPTS["grad-across-rnn"].question.text["en"]
    views = V.gradient_views(V.knobs_config(defaults))
    g = views["rnn"]["grad"]
    ratio = g[0] / g[-1]                                         # ‖∂L/∂h_1‖ / ‖∂L/∂h_100‖
    truth = 0 if ratio > 2 else 1 if ratio > 0.5 else 2
    assert PROMPTS["grad-across-rnn"].question.answer == truth and ratio < 1e-6   # "many orders of magnitude"
    from rnnviz.figures.style import CELL_COLORS
    assert CELL_COLORS["rnn"] == "#d62728" and PROMPTS["grad-across-rnn"].question.explain["en"].startswith("The red RNN")
    kept = {c: views[c]["grad"][0] / views[c]["grad"][-1] for c in ("lstm", "gru")}
    truth = 0 if all(r > 0.1 for r in kept.values()) else 2 if kept["gru"] > 0.1 else 1
    assert PROMPTS["grad-across-gates"].question.answer == truth and max(kept.values()) < 1e-6, kept


def test_the_intervention_answer_holds_for_the_brackets_preset():
    from rnnviz.app.interventions import compare, edit_from_settings, preset_edit
    from rnnviz.app.stepthrough import prepare_view, source_from_preset
    src = source_from_preset("brackets_lstm")
    view = prepare_view(src, src.text)
    cmp = compare(view, edit_from_settings(view, preset_edit("depth_forget", src, view)))
    closing = [view.vocab_chars.index(c) for c in ")]"]
    lost = sum(int(a in closing and b not in closing) for a, b in zip(cmp["pred_orig"], cmp["pred_edit"]))
    gained = sum(int(b in closing and a not in closing) for a, b in zip(cmp["pred_orig"], cmp["pred_edit"]))
    truth = 1 if lost > gained else 2 if gained > lost else 0
    assert PROMPTS["step-intervene-depth"].question.answer == truth and lost >= 2, (lost, gained)


def test_the_cell_answer_holds_for_the_brackets_depth_unit():
    from rnnviz.app.stepthrough import prepare_view, source_from_preset
    src = source_from_preset("brackets_lstm")
    view = prepare_view(src, src.text)
    unit = next(n.unit for n in src.unit_notes if n.tracks == "bracket_depth")
    assert unit in view.noted_units[:2]                          # the cell tab shows it by default
    f = view.trace.gates["forget"][:, unit]
    truth = 2 if np.median(f) > 0.9 else 0 if np.median(f) < 0.1 else 1
    assert PROMPTS["step-cell-forget"].question.answer == truth, np.median(f)
    closed = [view.chars[k] for k in np.nonzero(f < 0.5)[0]]
    assert closed == ["\n"] and np.mean(f > 0.9) > 0.9, (closed, np.mean(f > 0.9))   # as the explanation says


def test_the_match_answer_holds_for_the_brackets_preset():
    from rnnviz.app.stepthrough import corpus_trace, prepare_view, source_from_preset, training_corpus
    from rnnviz.tracing.analysis import find_units, match_spans
    src = source_from_preset("brackets_lstm")
    view = prepare_view(src, src.text)
    lo, hi = view.default_span                                  # the unit explorer's first span: inside quotes
    assert src.text[:lo].count('"') % 2 == 1
    ranked = find_units(view.trace.hidden, lo - 1, hi, threshold=0.5)
    units = sorted([r["unit"] for r in ranked if r["score"] > 0][:3])
    text = training_corpus(src)
    matches = match_spans(corpus_trace(src, text)["hidden"], units, hi - lo + 1, 0.5, top=6)
    inside = np.mean([text[:m["start"]].count('"') % 2 == 1 for m in matches])
    same_words = np.mean([text[m["start"]:m["end"]] == src.text[lo:hi + 1] for m in matches])
    truth = 1 if inside >= 0.8 and same_words < 0.5 else 2 if same_words >= 0.5 else 0
    assert PROMPTS["step-match-quotes"].question.answer == truth, (inside, same_words)


def test_the_sources_answer_holds_at_the_pages_defaults():
    from rnnviz.app.vanishing import GradConfig, source_views
    from rnnviz.figures.gradients import source_shares
    parts = source_shares(source_views(GradConfig(), cells=("rnn",))["rnn"]["sources"])[:, 49]   # s = 50
    near, far20 = parts[:2].sum(), parts[3:].sum()                # 0-4 steps later; 20 and more
    truth = 2 if near > 0.9 else 1 if far20 > 0.5 else 0
    assert PROMPTS["grad-sources-rnn"].question.answer == truth and near > 0.95 and abs(far20) < 0.01, parts


def test_the_toy_answer_is_the_toys_own_number():
    from rnnviz.app.vanishing import scalar_toy
    x = np.zeros(30)
    x[0] = 1.0
    d = scalar_toy(1.0, 0.9, 0.0, x)["dhT_dh"][0]
    choices = [0.05, 0.9, 26.0]                                  # the three choices' numbers, in order
    assert [float(c.split(":")[0].split()[-1]) for c in PROMPTS["grad-toy-power"].question.choices["en"]] == choices
    assert PROMPTS["grad-toy-power"].question.answer == int(np.argmin([abs(math.log(c / d)) for c in choices]))


def test_lab_answers_hold_for_the_shipped_runs():
    from rnnviz.app.lab_runs import LabSetting, load_ready
    run = load_ready(LabSetting.default("memory"))
    res = {c: r.result.val_accuracy for c, r in run["results"].items()}
    chance = 1 / len(run["task"].classes)
    assert len(run["task"].classes) == 4                         # "one in four"
    truth = 0 if abs(res["mlp"] - chance) < 0.1 else 2 if res["mlp"] > res["rnn"] else 1
    assert PROMPTS["lab-memory-mlp"].question.answer == truth and min(res[c] for c in ("rnn", "lstm", "gru")) > 0.95
    run = load_ready(LabSetting.default("timeseries"))
    task = run["task"]
    fc = task.forecasts({c: r.model for c, r in run["results"].items()})
    norm, (xv, yv) = task.extras["norm"], task.val
    truth_series = (xv[:, -1, 0].numpy() + yv.numpy().reshape(len(xv), -1)[:, 0]) * norm.std + norm.mean
    mse = {k: float(np.mean((v - truth_series) ** 2)) for k, v in fc.items()}
    best_cell = min(mse[c] for c in ("rnn", "lstm", "gru"))
    truth = 1 if best_cell < 0.8 * mse["naive"] else 0 if mse["naive"] < 0.8 * best_cell else 2
    assert PROMPTS["lab-timeseries-naive"].question.answer == truth, mse
    assert max(mse[c] for c in ("rnn", "lstm", "gru")) * 2 < mse["naive"]         # "several times smaller"


# ---- the pages ask them ---------------------------------------------------------------------------------------

def _views():
    """(prompt id, language, page query): each prompt opened once, a page's prompts alternating English and
    Korean, so every page asks in both languages."""
    seen: Counter = Counter()
    out = []
    for p in PROMPTS.values():
        lang = LANGS[seen[p.page] % 2]
        seen[p.page] += 1
        out.append((p.id, lang, dict(p.show)))
    return out


def _prompt_box(at, lang: str):
    return [e for e in at.expander if e.label == t("prompts.title", lang)]


def _open_box(at, page: str):
    """Open the page's prompts box as a click does (its questions are drawn only while it is open)."""
    from lecture_ui import prompts_key
    at.session_state[prompts_key(page)] = True
    return at.run()


@pytest.mark.parametrize("pid, lang, query", _views(), ids=[f"{v[0]}-{v[1]}" for v in _views()])
def test_each_page_asks_its_prompt_and_marks_the_answer(pid, lang, query):
    p = PROMPTS[pid]
    at = open_page(SCRIPT[p.page], timeout=180, **({"lang": lang} if lang != "en" else {}), **query)
    assert not at.exception
    assert len(_prompt_box(at, lang)) == 1
    q = p.question
    closed = [html.unescape(m.value) for m in at.markdown]
    assert f"**{q.text[lang]}**" not in closed and not [r for r in at.radio if "prompt:" in (r.key or "")]  # folded
    _open_box(at, p.page)
    assert not at.exception and len(_prompt_box(at, lang)) == 1
    assert any(html.unescape(m.value) == f"**{q.text[lang]}**" for m in at.markdown)
    radio = at.radio(key=f"_answer.prompt:{pid}")
    assert radio.value is None and radio.options == list(q.choices[lang])
    n_charts = len(at.get("plotly_chart")) + len(at.dataframe)
    assert n_charts > 0                                          # nothing is held back: the figure is there already
    wrong = (q.answer + 1) % len(q.choices[lang])
    radio.set_value(wrong).run()
    assert not at.exception
    marks = [html.unescape(m.value) for m in at.markdown if q.explain[lang] in html.unescape(m.value)]
    assert len(marks) == 1 and "✗" in marks[0] and q.choices[lang][q.answer] in marks[0]
    at.radio(key=f"_answer.prompt:{pid}").set_value(q.answer).run()
    assert not at.exception
    marks = [html.unescape(m.value) for m in at.markdown if q.explain[lang] in html.unescape(m.value)]
    assert len(marks) == 1 and "✓" in marks[0] and "✗" not in marks[0]
    assert len(at.get("plotly_chart")) + len(at.dataframe) >= n_charts   # answering hides nothing either


def test_a_view_without_prompts_has_no_box_and_the_answer_stays_in_the_session():
    at = open_page(SCRIPT["step"], src="brackets_lstm", tab="units")
    _open_box(at, "step")
    at.radio(key="_answer.prompt:step-depth-unit").set_value(0).run()
    at.session_state["step.tab"] = "Equations"                   # the user clicks a tab without a prompt
    at.run()
    assert not at.exception and not _prompt_box(at, "en")
    at.session_state["step.tab"] = "Unit explorer"                # back: the answer given is still there
    at.run()
    _open_box(at, "step")                                        # (the box was not drawn: it comes back folded)
    assert not at.exception and at.radio(key="_answer.prompt:step-depth-unit").value == 0
    assert any("✓" in m.value for m in at.markdown)


def test_no_second_question_in_a_lecture_scene_that_asks_its_own():
    at = open_page(SCRIPT["lab"], timeout=180, lecture="rnn-intro", scene="1")   # the lab's memory task, a question
    assert not at.exception
    at.radio(key="_answer.rnn-intro:1").set_value(1).run()                      # answered: the page shows ...
    assert not at.exception and at.session_state["lab.task"] == "memory"
    assert not _prompt_box(at, "en")                                             # ... without the page's own prompt
    at = open_page(SCRIPT["hello"], timeout=180, lecture="rnn-intro", scene="2")  # a scene without a question
    assert not at.exception and len(_prompt_box(at, "en")) == 1
