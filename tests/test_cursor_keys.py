"""The Hello timeline's keys (issue #13): J / L move its in-browser time cursor a step back / on, K plays and pauses,
through a script that drives the figure with Plotly's own animate calls (no script rerun). Here: the script's
text (escaping, the keys, one listener), its behaviour run in node against a stand-in page and figure, the
figure's side of the contract (frames named by step, ▶ / ❚❚ arguments), and the page showing the hints."""
from __future__ import annotations

import json
import re
import shutil
import subprocess

import numpy as np
import pytest

from rnnviz.figures.timeline import CURSOR_KEYS, cursor_keys_html, element_class
from rnnviz.i18n import t


def test_the_element_class_is_streamlits():
    assert element_class("hello.timeline_fig") == "st-key-hello-timeline_fig"
    assert element_class(" a<b>\"c'd é ") == "st-key-a-b--c-d--"


def test_the_script_names_the_chart_and_its_keys():
    page = cursor_keys_html("hello.timeline_fig")
    assert page.startswith("<script>") and page.endswith("</script>") and page.count("</script>") == 1
    assert 'reg["st-key-hello-timeline_fig"] = {"j": "prev", "k": "play", "l": "next"};' in page
    assert page.count('addEventListener("keydown"') == 1 and "__rnnvizCursorKeysOn" in page     # one listener
    other = cursor_keys_html("x", {"prev": "A", "play": "S", "next": "D"})
    assert '{"a": "prev", "s": "play", "d": "next"}' in other and '"st-key-x"' in other


def test_a_key_cannot_break_out_of_the_script():
    page = cursor_keys_html("</script><img src=x onerror=alert(1)>")
    assert page.count("</script>") == 1 and "<img" not in page


@pytest.mark.parametrize("keys", [{"prev": "J", "play": "K"}, {"prev": "J", "play": "K", "next": "LL"},
                                  {"prev": "J", "play": "K", "next": "j"}, {"prev": "J", "play": "K", "next": "1"},
                                  {"prev": "J", "play": "K", "next": "L", "x": "X"}])
def test_bad_keys_are_refused(keys):
    with pytest.raises(ValueError, match="keys"):
        cursor_keys_html("k", keys)


def test_the_timeline_has_what_the_script_drives():
    """Frames named "1".."T" (each setting the slider's active step), ▶ then ❚❚ in the first updatemenu."""
    from types import SimpleNamespace

    from rnnviz.figures.timeline import timeline_figure
    T, H, V = 5, 3, 4
    rng = np.random.default_rng(0)
    gates = {g: rng.random((T, H)) for g in ("reset", "update", "candidate")}
    tr = SimpleNamespace(T=T, hidden=rng.random((T, H)), gates=gates, cell=None, cell_type="gru",
                         probs=np.full((T, V), 1 / V), targets=np.zeros(T, int), grad_hidden=None, grad_cell=None)
    fig = timeline_figure(tr, list("abcde"), list("abcd"), panels=("states", "probs"))
    assert [f.name for f in fig.frames] == [str(i) for i in range(1, T + 1)]
    assert [f.layout.sliders[0].active for f in fig.frames] == list(range(T))
    assert len(fig.layout.sliders[0].steps) == T
    play, pause = fig.layout.updatemenus[0].buttons
    assert play.method == pause.method == "animate"
    assert play.args[0] is None and play.args[1]["fromcurrent"] is True        # ▶: the frames on from the current one
    assert list(pause.args[0]) == [None]                                       # ❚❚: the animation stopped


NODE_HARNESS = r"""
const calls = [];
let listener = null, added = 0;
const slider = {active: 0, steps: [1, 2, 3, 4].map(String)};
const gd = {_fullLayout: {sliders: [slider]}, _transitionData: {_animationRaf: null},
            layout: {updatemenus: [{buttons: [{args: [null, {fromcurrent: true}]}, {args: [[null], {mode: "immediate"}]}]}]}};
const document = {
  addEventListener: (type, f) => { if (type === "keydown") { listener = f; added++; } },
  querySelector: sel => (sel === "." + CLS + " .js-plotly-plot" && window.chartShown) ? gd : null,
};
const window = {document, chartShown: true,
  Plotly: {animate: (g, frames, opts) => { calls.push([frames, opts]);
    if (Array.isArray(frames) && frames.length === 1 && frames[0] !== null) slider.active = Number(frames[0]) - 1; }}};
const key = (k, extra = {}) => {
  const e = Object.assign({key: k, target: {closest: () => null}, defaultPrevented: false, prevented: false,
                           preventDefault() { this.prevented = true; }}, extra);
  listener(e);
  return e.prevented;
};
eval(SCRIPT); eval(SCRIPT);                 // a second run of the page: still one listener
const out = {added};
key("l"); key("l"); key("j"); out.afterLLJ = slider.active + 1;
key("j"); key("j"); out.clampedStart = slider.active + 1;
out.calls = calls.length;
out.typed = key("l", {target: {closest: s => s.includes("input") ? {} : null}});
out.ctrl = key("l", {ctrlKey: true});
out.afterIgnored = slider.active + 1;
calls.length = 0;
key("k"); out.play = calls[0];
gd._transitionData._animationRaf = 7;       // playing
key("k"); out.pause = calls[1];
key("k", {repeat: true}); out.repeatCalls = calls.length;
gd._transitionData._animationRaf = null;
for (let i = 0; i < 5; i++) key("L");       // shift-L too; stops at the last step
out.last = slider.active + 1;
calls.length = 0;
key("k"); out.playFromStart = calls[0];
window.chartShown = false;
out.noChart = key("l");
out.other = key("x");
console.log(JSON.stringify(out));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node runs the script against a stand-in page")
def test_the_script_moves_plays_and_pauses_the_figure():
    script = re.fullmatch(r"<script>(.*)</script>", cursor_keys_html("hello.timeline_fig"), re.S).group(1)
    prog = (f"const SCRIPT = {json.dumps(script)}; const CLS = {json.dumps(element_class('hello.timeline_fig'))};"
            + NODE_HARNESS)
    out = json.loads(subprocess.run(["node", "-e", prog], capture_output=True, text=True, check=True, timeout=30).stdout)
    assert out["added"] == 1
    assert out["afterLLJ"] == 2 and out["clampedStart"] == 1 and out["calls"] == 4     # the second J at step 1: no call
    assert out["typed"] is False and out["ctrl"] is False and out["afterIgnored"] == 1
    assert out["play"] == [None, {"fromcurrent": True}]                                 # the figure's own ▶
    assert out["pause"] == [[None], {"mode": "immediate"}] and out["repeatCalls"] == 2   # its ❚❚; a held K: nothing
    assert out["last"] == 4
    assert out["playFromStart"] == [["1", "2", "3", "4"], {"fromcurrent": True}]         # K at the end: from the start
    assert out["noChart"] is False and out["other"] is False


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_hello_page_names_its_timelines_keys(lang):
    from tests.apptest import open_page
    at = open_page("pages/1_Hello_Playground.py", timeout=120, **({"lang": lang} if lang != "en" else {}))
    assert not at.exception
    hints = t("hello.cursor.keyhints", lang)
    assert any(hints in c.value.split("\n\n") for c in at.caption)
    assert all(f"**{k}**" in hints for k in CURSOR_KEYS.values())
    (script,) = [h for h in at.get("html") if "__rnnvizCursorKeys" in h.proto.body]
    assert script.proto.body == cursor_keys_html("hello.timeline_fig") and script.proto.unsafe_allow_javascript
