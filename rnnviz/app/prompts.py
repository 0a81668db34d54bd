""""Predict before you look" on every page, outside lectures: one TOML file (assets/prompts.toml) of prompts, each a
question in the lectures' format (rnnviz.app.lectures.Question: text, choices, answer, explain, in every language of
the app), attached to a page and optionally to a view of it (a tab, a lab task, a model, a text):

    [[prompts]]
    id = "grad-across-rnn"                           # unique: the answer's key in the session
    page = "grad"                                    # one of PROMPT_VIEWS
    show = { tab = "across" }                        # optional: the page's settings this prompt is about
    answer = 2                                       # the question's fields, as in a lecture scene's question
    text = { en = "...", ko = "..." }
    choices = { en = ["...", "..."], ko = ["...", "..."] }
    explain = { en = "...", ko = "..." }

`show` holds URL settings of the page (validated against lectures.PAGE_PARAMS like a scene's params), restricted
to the ones the page reports to `for_view` (PROMPT_VIEWS), so a prompt can never wait for a view that is not
reported. `load_prompts` validates the whole file with the lectures' validator and raises LectureError naming the
prompt and the field at fault. No streamlit here.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from .lectures import PAGE_PARAMS, QUESTION_FIELDS, LectureError, Question, _fail, _question, check_params, load_toml

PROMPTS_FILE = Path(__file__).resolve().parents[2] / "assets" / "prompts.toml"
MAX_PROMPTS = 60
# The pages that ask, and the settings each reports to for_view (what a prompt's `show` may name).
PROMPT_VIEWS: dict[str, tuple[str, ...]] = {"hello": ("text", "cell"), "step": ("src", "tab"), "grad": ("tab",),
                                            "lab": ("task",)}
_META = ("id", "page", "show")


@dataclass(frozen=True)
class Prompt:
    id: str
    page: str
    show: dict[str, str]            # settings (as strings, like a link's) the page must show for the prompt
    question: Question

    def applies(self, view: dict[str, str]) -> bool:
        return all(view.get(k) == v for k, v in self.show.items())


def parse_prompts(text: str, source: str = "the prompts") -> tuple[Prompt, ...]:
    """Every prompt of a prompts file's TOML text, validated; LectureError names the prompt and field at fault."""
    data = load_toml(text, source, {"prompts"})
    raw = data.get("prompts")
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_PROMPTS:
        raise _fail(source, "prompts", f"must be a list of 1 to {MAX_PROMPTS} prompts")
    out: dict[str, Prompt] = {}
    for k, p in enumerate(raw, start=1):
        if not isinstance(p, dict):
            raise _fail(f"{source}, prompt {k}", "prompt", "must be a table")
        pid = p.get("id")
        if not isinstance(pid, str) or not pid or len(pid) > 40 or not all(c.isalnum() or c in "-_" for c in pid):
            raise _fail(f"{source}, prompt {k}", "id", "must be 1 to 40 letters, digits, - or _")
        where = f"{source}, prompt {k} ({pid})"
        if pid in out:
            raise _fail(where, "id", f"{pid!r} is the id of another prompt too")
        unknown = sorted(set(p) - set(_META) - set(QUESTION_FIELDS))
        if unknown:
            raise _fail(where, "prompt", f"unknown field {', '.join(unknown)}")
        page = p.get("page")
        if page not in PROMPT_VIEWS:
            raise _fail(where, "page", f"must be one of {', '.join(PROMPT_VIEWS)}, not {page!r}")
        show = p.get("show", {})
        if isinstance(show, dict):
            for name in show:
                if name in PAGE_PARAMS[page] and name not in PROMPT_VIEWS[page]:
                    raise _fail(where, f"show.{name}", f"the {page} page shows prompts by "
                                                       f"{', '.join(PROMPT_VIEWS[page])} only, not by {name!r}")
        show = check_params(page, show, where, field="show")
        question = _question({f: p[f] for f in QUESTION_FIELDS if f in p}, where, field="")
        out[pid] = Prompt(pid, page, show, question)
    return tuple(out.values())


def load_prompts(path: Path = PROMPTS_FILE) -> tuple[Prompt, ...]:
    path = Path(path)
    return _cached(str(path), path.stat().st_mtime_ns, path.stat().st_size)


@functools.lru_cache(maxsize=4)
def _cached(path: str, mtime_ns: int, size: int) -> tuple[Prompt, ...]:
    """Read once per version of the file (a shared, read-only result)."""
    return parse_prompts(Path(path).read_text(encoding="utf-8"), Path(path).name)


def for_view(page: str, view: dict, path: Path = PROMPTS_FILE) -> list[Prompt]:
    """The prompts of `page` for what it shows now: `view` holds the page's PROMPT_VIEWS settings (values as
    the page has them; compared as strings, like a link's)."""
    if page not in PROMPT_VIEWS:
        raise LectureError(f"no page {page!r} asks predict-before-you-look prompts", code="invalid", where="prompts",
                           field="page", why=f"must be one of {', '.join(PROMPT_VIEWS)}")
    if set(view) != set(PROMPT_VIEWS[page]):
        raise LectureError(f"the {page} page reports {sorted(view)}, not {list(PROMPT_VIEWS[page])}", code="invalid",
                           where="prompts", field="view", why=f"must name {', '.join(PROMPT_VIEWS[page])}")
    shown = {k: str(v) for k, v in view.items()}
    return [p for p in load_prompts(path) if p.page == page and p.applies(shown)]
