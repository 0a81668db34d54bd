"""Lectures: a lecture is a small TOML file in assets/lectures/ (an id, a title and an ordered list of scenes);
a scene names a page and that page's URL settings (the same query parameters a shared link uses), a title,
the lecturer's talking points and optionally a "predict before you look" question. Every text is written in
every language of the app.

    id = "rnn-intro"
    title = { en = "...", ko = "..." }

    [[scenes]]
    page = "hello"                                   # one of PAGES
    params = { text = "hello", cell = "rnn" }        # validated against PAGE_PARAMS[page]
    title = { en = "...", ko = "..." }
    points = { en = ["...", "..."], ko = ["...", "..."] }
    [scenes.question]                                # optional
    text = { en = "...", ko = "..." }
    choices = { en = ["...", "..."], ko = ["...", "..."] }
    answer = 0                                       # index into choices
    explain = { en = "...", ko = "..." }

`load_lecture` validates the whole file and raises LectureError naming the scene and the field at fault
(an unknown page, an unknown or out-of-range parameter, a missing translation, ...). No streamlit here.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from ..errors import RnnvizError
from ..i18n import LANGS

try:
    import tomllib as _toml
except ModuleNotFoundError:         # Python 3.10: streamlit's own TOML reader
    import toml as _toml            # type: ignore[no-redef]

LECTURE_DIR = Path(__file__).resolve().parents[2] / "assets" / "lectures"
MAX_LECTURE_BYTES = 200_000
MAX_SCENES = 40
MAX_POINTS = 8
MAX_CHOICES = 6
MAX_TEXT = 600                      # characters of one title, point, question or choice

# Each page's URL settings: parameter -> ("int", lo, hi) | ("choice", values) | ("str", max length).
# The same names and bounds the pages read with ui.qp_*; a test checks the pages and this table agree.
_TABS_STEP = ("equations", "states", "unrolled", "units", "compare", "intervene", "cell")
_TABS_GRAD = ("across", "training", "exploding", "toy", "tasks", "sources")
PAGE_PARAMS: dict[str, dict[str, tuple]] = {
    "home": {},
    "hello": {"text": ("str", 2000), "cell": ("choice", ("rnn", "lstm", "gru")), "hidden": ("int", 1, 128),
              "lr": ("choice", ("0.001", "0.003", "0.01", "0.03", "0.05", "0.1", "0.3")),
              "steps": ("int", 10, 2000), "seed": ("int", 0, 9999), "t": ("int", 1, 2000),
              "show_cell": ("choice", ("0", "1"))},
    "step": {"src": ("choice", ("brackets_lstm", "korean_gru", "hello")), "text": ("str", 300),
             "t": ("int", 1, 300), "tab": ("choice", _TABS_STEP), "iv_t": ("int", 1, 300),
             "iv_q": ("choice", ("forget", "input", "output", "reset", "update", "h", "c")), "iv_u": ("str", 3), "match_src": ("choice", ("train", "own"))},
    "grad": {"T": ("int", 10, 400), "hidden": ("choice", ("16", "32", "64", "128", "256")), "seed": ("int", 0, 9999),
             "loss": ("choice", ("last", "all")), "scale": ("int", 10, 300), "init": ("choice", ("default", "orthogonal")),
             "act": ("choice", ("tanh", "relu")), "fb": ("choice", ("torch", "0", "1", "2", "3")),
             "k": ("choice", ("off", "5", "10", "20", "50")), "tab": ("choice", _TABS_GRAD), "tau": ("int", 1, 400), "src_step": ("int", 0, 400),
             "attr_cell": ("choice", ("rnn", "lstm", "gru"))},
    "lab": {"task": ("choice", ("mnist1d", "mnist_rows", "charlm", "seq2seq", "timeseries", "textclf", "memory")),
            "data": ("str", 40), "steps": ("int", 100, 3000)},
}
PAGES = tuple(PAGE_PARAMS)


class LectureError(RnnvizError):
    """A lecture file that cannot be used (translation key "err.lecture.<code>"); the message names the scene
    and the field."""
    domain = "lecture"
    specific = False


QUESTION_FIELDS = ("text", "choices", "answer", "explain")


@dataclass(frozen=True)
class Question:
    text: dict[str, str]
    choices: dict[str, tuple[str, ...]]
    answer: int
    explain: dict[str, str]


@dataclass(frozen=True)
class Scene:
    page: str
    params: dict[str, str]          # query parameters, as strings (what a link carries)
    title: dict[str, str]
    points: dict[str, tuple[str, ...]]
    question: Question | None = None


@dataclass(frozen=True)
class Lecture:
    id: str
    title: dict[str, str]
    scenes: tuple[Scene, ...]

    def scene(self, k: int) -> Scene:
        """Scene k, counted from 1 (as links and the scene bar count)."""
        if not isinstance(k, int) or not 1 <= k <= len(self.scenes):
            raise LectureError(f"lecture {self.id!r} has scenes 1 to {len(self.scenes)}, not {k!r}", code="scene",
                               lecture=self.id, n=len(self.scenes), value=repr(k))
        return self.scenes[k - 1]


def _fail(where: str, field: str, why: str) -> LectureError:
    return LectureError(f"{where}, {field}: {why}", code="invalid", where=where, field=field, why=why)


def _texts(value, where: str, field: str, many: bool = False, max_n: int = 1):
    """{lang: text} (or {lang: [texts]} when many) with every language of the app, each bounded."""
    if not isinstance(value, dict):
        raise _fail(where, field, f"must be a table with a text per language ({', '.join(LANGS)})")
    missing = [lang for lang in LANGS if lang not in value]
    if missing:
        raise _fail(where, field, f"the {', '.join(missing)} translation is missing")
    extra = sorted(set(value) - set(LANGS))
    if extra:
        raise _fail(where, field, f"unknown language {', '.join(extra)}")
    out = {}
    for lang in LANGS:
        v = value[lang]
        items = v if many else [v]
        if many and (not isinstance(v, list) or not 1 <= len(v) <= max_n):
            raise _fail(where, f"{field}.{lang}", f"must be a list of 1 to {max_n} texts")
        for s in items:
            if not isinstance(s, str) or not s.strip() or len(s) > MAX_TEXT:
                raise _fail(where, f"{field}.{lang}", f"every text must be 1 to {MAX_TEXT} characters")
        out[lang] = tuple(s.strip() for s in items) if many else items[0].strip()
    if many and len({len(v) for v in out.values()}) > 1:
        raise _fail(where, field, "every language must have the same number of texts")
    return out


def check_params(page: str, params: dict, where: str = "the link", field: str = "params") -> dict[str, str]:
    """A page's URL settings checked against PAGE_PARAMS: {name: value as a string}. `field`: the name the
    settings have in the file, for the error."""
    spec = PAGE_PARAMS[page]
    if not isinstance(params, dict):
        raise _fail(where, field, "must be a table of the page's settings")
    out = {}
    for name, value in params.items():
        if name not in spec:
            raise _fail(where, f"{field}.{name}", f"the {page} page has no setting {name!r} "
                                                 f"(it has: {', '.join(spec) or 'none'})")
        kind = spec[name]
        if kind[0] == "int":
            if isinstance(value, bool) or not isinstance(value, int) or not kind[1] <= value <= kind[2]:
                raise _fail(where, f"{field}.{name}", f"must be an integer from {kind[1]} to {kind[2]}, not {value!r}")
        elif kind[0] == "choice":
            if str(value) not in kind[1]:
                raise _fail(where, f"{field}.{name}", f"must be one of {', '.join(kind[1])}, not {value!r}")
        elif not isinstance(value, str) or not value or len(value) > kind[1]:
            raise _fail(where, f"{field}.{name}", f"must be a text of 1 to {kind[1]} characters")
        out[name] = str(value)
    return out


def _question(value, where: str, field: str = "question") -> Question:
    """A question (text, choices, answer, explain) from its table; `field` names the table in errors ("" when
    the fields sit in the table of a prompt itself, see rnnviz.app.prompts)."""
    pre = f"{field}." if field else ""
    if not isinstance(value, dict):
        raise _fail(where, field or "question", "must be a table")
    unknown = sorted(set(value) - set(QUESTION_FIELDS))
    if unknown:
        raise _fail(where, field or "question", f"unknown field {', '.join(unknown)}")
    text = _texts(value.get("text"), where, pre + "text")
    choices = _texts(value.get("choices"), where, pre + "choices", many=True, max_n=MAX_CHOICES)
    n = len(choices[LANGS[0]])
    answer = value.get("answer")
    if n < 2 or isinstance(answer, bool) or not isinstance(answer, int) or not 0 <= answer < n:
        raise _fail(where, pre + "answer", f"must be the index (0 to {n - 1}) of one of at least 2 choices")
    return Question(text, choices, answer, _texts(value.get("explain"), where, pre + "explain"))


def load_toml(text: str, source: str, fields: set[str]) -> dict:
    """A lecture or prompts file's TOML text -> its table, checked for size, syntax and unknown top-level fields."""
    if not isinstance(text, str) or len(text.encode("utf-8")) > MAX_LECTURE_BYTES:
        raise _fail(source, "file", f"must be a TOML text of at most {MAX_LECTURE_BYTES:,} bytes")
    try:
        data = _toml.loads(text)
    except Exception as e:  # noqa: BLE001 -- tomllib.TOMLDecodeError or toml.TomlDecodeError
        raise _fail(source, "file", f"is not valid TOML ({e})") from None
    unknown = sorted(set(data) - fields)
    if unknown:
        raise _fail(source, "file", f"unknown field {', '.join(unknown)}")
    return data


def parse_lecture(text: str, source: str = "the lecture") -> Lecture:
    """A lecture from its TOML text, validated; LectureError names the scene and field at fault."""
    data = load_toml(text, source, {"id", "title", "scenes"})
    lid = data.get("id")
    if not isinstance(lid, str) or not lid or len(lid) > 40 or not all(c.isalnum() or c in "-_" for c in lid):
        raise _fail(source, "id", "must be 1 to 40 letters, digits, - or _")
    title = _texts(data.get("title"), source, "title")
    raw = data.get("scenes")
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_SCENES:
        raise _fail(source, "scenes", f"must be a list of 1 to {MAX_SCENES} scenes")
    scenes = []
    for k, sc in enumerate(raw, start=1):
        where = f"{source}, scene {k}"
        if not isinstance(sc, dict):
            raise _fail(where, "scene", "must be a table")
        unknown = sorted(set(sc) - {"page", "params", "title", "points", "question"})
        if unknown:
            raise _fail(where, "scene", f"unknown field {', '.join(unknown)}")
        page = sc.get("page")
        if page not in PAGE_PARAMS:
            raise _fail(where, "page", f"must be one of {', '.join(PAGES)}, not {page!r}")
        scenes.append(Scene(page=page, params=check_params(page, sc.get("params", {}), where),
                            title=_texts(sc.get("title"), where, "title"),
                            points=_texts(sc.get("points"), where, "points", many=True, max_n=MAX_POINTS),
                            question=_question(sc["question"], where) if "question" in sc else None))
    return Lecture(lid, title, tuple(scenes))


def load_lecture(path: Path) -> Lecture:
    return parse_lecture(Path(path).read_text(encoding="utf-8"), Path(path).name)


@functools.lru_cache(maxsize=4)
def _shipped(folder: str, stamp: tuple) -> dict[str, Lecture]:
    out: dict[str, Lecture] = {}
    for path in sorted(Path(folder).glob("*.toml")):
        lec = load_lecture(path)
        if lec.id in out:
            raise _fail(path.name, "id", f"{lec.id!r} is the id of another lecture too")
        out[lec.id] = lec
    return out


def lectures(folder: Path = LECTURE_DIR) -> dict[str, Lecture]:
    """Every lecture in `folder`, by id, read once per version of the files (a shared, read-only result)."""
    stamp = tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(Path(folder).glob("*.toml")))
    return _shipped(str(folder), stamp)


# ---- the student link's address ------------------------------------------------------------------------

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1", "[::1]", "0.0.0.0")


def lan_address() -> str | None:
    """This machine's address on its network (the interface a packet to the LAN would leave by), or None.
    Nothing is sent: connecting a UDP socket only picks the route."""
    import socket
    for probe in ("10.255.255.255", "192.168.255.255"):
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.connect((probe, 1))
                ip = s.getsockname()[0]
        except OSError:
            continue
        if ip and not ip.startswith("127.") and ip != "0.0.0.0":
            return ip
    return None


def student_base(browser_url: str, public_url: str | None = None, listens_on_all: bool = True,
                 lan_ip=lan_address) -> tuple[str, bool]:
    """(scheme://host:port of the student link, whether phones in the hall can reach it).

    The presenter's own address is what the browser shows (st.context.url); a lecturer who opened the app as
    localhost would hand the hall a link to each student's own phone. So: RNNVIZ_PUBLIC_URL when set (a
    server behind a proxy or a name); else the presenter's address, with a loopback host replaced by this
    machine's network address when the server listens on every interface (Streamlit's default); else the
    loopback address, marked unreachable so the page can say how to fix it."""
    from urllib.parse import urlsplit
    if public_url:
        p = urlsplit(public_url.strip())
        if p.scheme in ("http", "https") and p.netloc:
            return f"{p.scheme}://{p.netloc}{p.path.rstrip('/')}", True
    p = urlsplit(browser_url or "")
    if not p.netloc:
        return "", False
    host = (p.hostname or "").lower()
    if host not in LOOPBACK_HOSTS and not host.startswith("127."):
        return f"{p.scheme}://{p.netloc}", True
    ip = lan_ip() if listens_on_all else None
    if ip:
        return f"{p.scheme}://{ip}" + (f":{p.port}" if p.port else ""), True
    return f"{p.scheme}://{p.netloc}", False
