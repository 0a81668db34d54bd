"""The pages' settings in the URL, so a link reproduces the view: query parameters read with bounds
(`qp_*`), widget state bound to them (`url_state`, `init_state`, `lazy_tabs`: every key registered in
`URL_KEYS`, so a lecture scene can clear them), held state checked against its bounds (`check_state`), and
the one notice that names every unusable setting. `ui` re-exports all of it: pages call `ui.qp_int` etc."""
from __future__ import annotations

import math
import string
from dataclasses import dataclass
from typing import Callable

import streamlit as st

from rnnviz.i18n import LANGS, t


# ---- query parameters: a link reproduces the view ---------------------------------------------------
# Every value read from the URL is checked and clamped; a bad value falls back to the default.

def _bad_param(name: str, value, used) -> None:
    """A URL setting that could not be used as it is: named in one notice at the top of the page (made by
    setup_page), with the value the page uses instead."""
    ss = st.session_state
    bad = ss.setdefault("_bad_params", {})
    if name in bad or ss.get("_quiet_params"):
        return
    bad[name] = (str(value)[:30], str(used))
    _bad_notice()


def _bad_notice() -> None:
    """The one notice at the top of the page: the link's unusable settings, then the held settings out of bounds."""
    ss = st.session_state
    slot = ss.get("_bad_params_slot")
    if slot is None:
        return
    lang = ss.get("_lang", "en")
    parts = []
    for key, bad in (("ui.bad_params", ss.get("_bad_params") or {}), ("ui.bad_state", ss.get("_bad_state") or {})):
        if bad:
            items = ", ".join(f"{md_literal(k)} = {md_literal(v)} → {md_literal(u)}" for k, (v, u) in bad.items())
            parts.append(t(key, lang, items=items))
    if parts:
        slot.warning(" ".join(parts))


def check_state(spec: dict[str, tuple[str, "Bound"]]) -> None:
    """Settings the session holds (widget values, which the browser sends and a crafted message can set to
    anything) checked against their bounds before any widget is drawn or anything is built from them: spec is
    {widget key: (its name on the page / in the URL, Bound)}. A value out of bounds is replaced by the nearest
    allowed one (or the default) and named in the page's notice, so the page never fails on it nor allocates
    for it."""
    ss = st.session_state
    for key, (name, bound) in spec.items():
        if key not in ss:
            continue
        value = ss[key]
        try:
            fine = bool(bound.ok(value))
        except Exception:                       # a value of another type altogether
            fine = False
        if fine:
            continue
        try:
            used = bound.default if bound.fix is None else bound.fix(value)
            if not bound.ok(used):
                used = bound.default
        except Exception:                       # int("x"), int(nan), int(inf)
            used = bound.default
        ss[key] = used
        ss.setdefault("_bad_state", {})[name] = (str(value)[:30], url_text(used))
        _bad_notice()


def spec_bounds(spec: dict) -> dict:
    """{parameter: (first value, allowed values or (lo, hi) for an int)} (as for qp_spec) -> {parameter: Bound}."""
    return {p: as_int(d, *allowed) if isinstance(d, int) else as_choice(d, allowed) for p, (d, allowed) in spec.items()}


def qp_int(name: str, default: int, lo: int, hi: int) -> int:
    raw = st.query_params.get(name)
    if raw is None:
        return default
    try:
        v = int(raw)
    except (TypeError, ValueError):
        _bad_param(name, raw, default)
        return default
    if not lo <= v <= hi:
        _bad_param(name, raw, min(max(v, lo), hi))
    return min(max(v, lo), hi)


def qp_float(name: str, default: float, choices: list[float]) -> float:
    """The choice nearest to the URL's value (so a slider over `choices` accepts it)."""
    raw = st.query_params.get(name)
    if raw is None:
        return default
    try:
        v = float(raw)
        if not math.isfinite(v) or v <= 0:
            raise ValueError(raw)
    except (TypeError, ValueError):
        _bad_param(name, raw, default)
        return default
    return min(choices, key=lambda c: abs(math.log(c) - math.log(v)))


def qp_choice(name: str, default, choices):
    """The choice whose URL text (`url_text`) is the URL's value: choices may be numbers as well as strings."""
    v = st.query_params.get(name)
    if v is None:
        return default
    by_text = {url_text(c): c for c in choices}
    if v not in by_text:
        _bad_param(name, v, default)
        return default
    return by_text[v]


def qp_str(name: str, default: str, max_len: int) -> str:
    v = st.query_params.get(name, default)
    return v[:max_len] if isinstance(v, str) else default


def qp_num(name: str, default: float, lo: float, hi: float, step: float) -> float:
    """A number on a slider's grid lo, lo + step, ..., hi: the URL's value rounded to the grid and clamped."""
    raw = st.query_params.get(name)
    if raw is None:
        return default
    try:
        v = float(raw)
        if not math.isfinite(v):
            raise ValueError(raw)
    except (TypeError, ValueError):
        _bad_param(name, raw, default)
        return default
    used = _on_grid(min(max(v, lo), hi), lo, step)
    if not lo <= v <= hi:
        _bad_param(name, raw, url_text(used))
    return used


def _on_grid(v: float, lo: float, step: float) -> float:
    return round(lo + round((v - lo) / step) * step, 10)


def qp_ints(name: str, default: list[int], lo: int, hi: int, max_n: int) -> list[int]:
    """One to max_n distinct whole numbers in lo..hi, written "3,0,7"."""
    raw = st.query_params.get(name)
    if raw is None:
        return list(default)
    try:
        vals = [int(x) for x in raw.split(",")]
        if not 1 <= len(vals) <= max_n or len(set(vals)) != len(vals) or not all(lo <= x <= hi for x in vals):
            raise ValueError(raw)
    except (TypeError, ValueError, AttributeError):
        _bad_param(name, raw, url_text(default))
        return list(default)
    return vals


def qp_span(name: str, default: tuple[int, int], lo: int, hi: int) -> tuple[int, int]:
    """A range of whole numbers a <= b in lo..hi, written "a,b"."""
    raw = st.query_params.get(name)
    if raw is None:
        return tuple(default)
    try:
        a, b = (int(x) for x in raw.split(","))
        if not lo <= a <= b <= hi:
            raise ValueError(raw)
    except (TypeError, ValueError, AttributeError):
        _bad_param(name, raw, url_text(default))
        return tuple(default)
    return a, b


def qp_bool(name: str, default: bool) -> bool:
    raw = st.query_params.get(name)
    if raw is None:
        return default
    if raw not in ("0", "1"):
        _bad_param(name, raw, url_text(default))
        return default
    return raw == "1"


def url_text(v) -> str:
    """How a setting is written in the URL: 1 / 0 for a switch, "a,b,c" for several numbers, a float in its
    shortest form (0.55, not 0.5500000000000002), anything else as str()."""
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, (list, tuple)):
        return ",".join(url_text(x) for x in v)
    if isinstance(v, float):
        return f"{v:.10g}"
    return str(v)


def qp_spec(spec: dict) -> dict:
    """{query parameter: (first value, allowed values or (lo, hi) for an int)} -> {parameter: the URL's value,
    or the first value where the URL has none or one out of range}."""
    return {p: qp_int(p, d, *allowed) if isinstance(d, int) else qp_choice(p, d, allowed)
            for p, (d, allowed) in spec.items()}


# Every widget key each page binds to its URL (url_state, init_state, lazy_tabs), as the page's runs in this
# process met them: a lecture's scene clears them on entry (lecture_ui.scene_keys), so the page reads the
# scene's settings from the URL again. Only names are kept (the same for every session); a session can hold a
# page's keys only after that page ran in this process, so it is never missing one the session has.
URL_KEYS: dict[str, set[str]] = {}


def url_keys(*keys: str) -> None:
    """Widget keys a page reads from the URL itself (not through url_state / init_state): registered as the
    page's URL-bound keys all the same (URL_KEYS)."""
    _register(keys)


def _register(keys) -> None:
    page = st.session_state.get("_page")
    if page is not None:
        URL_KEYS.setdefault(page, set()).update(keys)


def init_state(values: dict) -> None:
    """Give widget keys their first value (from the URL) once per session; the widgets own them after."""
    _register(values)
    for k, v in values.items():
        if k not in st.session_state:
            st.session_state[k] = v


@dataclass(frozen=True)
class Bound:
    """How one URL setting is read and checked: `read(parameter)` gives the URL's value (its default, with the
    notice, where the URL's is unusable); `ok(value)` says whether a value the session holds is still allowed
    (a new model with fewer units, a task with fewer examples): where not, the default is used, not the URL."""
    default: object
    read: Callable[[str], object]
    ok: Callable[[object], bool]
    fix: Callable[[object], object] | None = None     # a held value not ok: fix(value) instead of the default


def as_int(default: int, lo: int, hi: int) -> Bound:
    return Bound(default, lambda p: qp_int(p, default, lo, hi), lambda v: isinstance(v, int) and lo <= v <= hi,
                 lambda v: min(max(int(v), lo), hi))


def as_choice(default, choices) -> Bound:
    choices = list(choices)
    return Bound(default, lambda p: qp_choice(p, default, choices), lambda v: v in choices)


def as_num(default: float, lo: float, hi: float, step: float) -> Bound:
    return Bound(default, lambda p: qp_num(p, default, lo, hi, step),
                 lambda v: isinstance(v, (int, float)) and lo <= v <= hi)


def as_ints(default: list[int], lo: int, hi: int, max_n: int) -> Bound:
    """One to max_n distinct numbers in lo..hi (none chosen: the default again)."""
    return Bound(list(default), lambda p: qp_ints(p, default, lo, hi, max_n),
                 lambda v: 1 <= len(v) <= max_n and all(lo <= x <= hi for x in v))


def as_span(default: tuple[int, int], lo: int, hi: int) -> Bound:
    return Bound(tuple(default), lambda p: qp_span(p, default, lo, hi), lambda v: lo <= v[0] <= v[1] <= hi)


def as_bool(default: bool) -> Bound:
    return Bound(default, lambda p: qp_bool(p, default), lambda v: isinstance(v, bool))


def as_text(default: str, max_len: int) -> Bound:
    return Bound(default, lambda p: qp_str(p, default, max_len), lambda v: isinstance(v, str) and len(v) <= max_len)


def url_state(spec: dict[str, tuple[str, object]], write: bool = True) -> None:
    """Widget keys that live in the URL: spec is {widget key: (query parameter, first value)}. The first value
    is a `Bound` (as_int, as_choice, ...: read from the URL only when the session has no value yet, so a value
    left in the URL by other settings is never misread as a bad link) or a value already read. It is given once
    per session; from then on the widgets own their keys and the URL follows them (unless `write` is False:
    the page writes them itself), so a link reproduces the view."""
    ss = st.session_state
    _register(spec)
    read = ss.setdefault("_url_read", set())
    for key, (param, first) in spec.items():
        if isinstance(first, Bound):
            if key not in ss:
                # read again (a tab's widgets forget their keys while another tab is open): the URL holds what
                # the page wrote, so a value out of range for the page's new data is clamped without a notice
                ss["_quiet_params"] = key in read
                try:
                    ss[key] = first.read(param)
                finally:
                    ss["_quiet_params"] = False
                read.add(key)
            elif not first.ok(ss[key]):
                ss[key] = first.default if first.fix is None else first.fix(ss[key])
        elif key not in ss:
            ss[key] = first
    if write:
        set_query_params({p: ss[k] for k, (p, _) in spec.items()})


def lazy_tabs(key: str, ids: tuple[str, ...], lang: str, default: str | None = None) -> tuple[str, dict]:
    """Tabs that run only the open tab's content, with the open tab in the URL as ?tab=<id>.

    A tab switch reruns the script (st.tabs with on_change="rerun"); in exchange a rerun (a preset, a text)
    builds and draws one tab, not all of them. The URL holds the tab's id, not its translated label, so a
    link opens the same tab in either language. Labels come from the translation table as f"{key}.{id}".
    Returns (the open tab's id, {id: tab container})."""
    default = default or ids[0]
    id_key = f"{key}_id"
    _register((key,))
    init_state({id_key: qp_choice("tab", default, ids)})
    shown = st.session_state.get(key)       # the label the user clicked, in whichever language it was drawn
    for i in ids:
        if shown in {t(f"{key}.{i}", code) for code in LANGS}:
            st.session_state[id_key] = i
    labels = {i: t(f"{key}.{i}", lang) for i in ids}
    st.session_state[key] = labels[st.session_state[id_key]]
    containers = st.tabs(list(labels.values()), key=key, on_change="rerun")
    active = st.session_state[id_key]
    if active != default or "tab" in st.query_params:
        set_query_params({"tab": active})
    return active, dict(zip(ids, containers))


def set_query_params(values: dict) -> None:
    """Write the page's key settings into the URL (only what changed, to avoid needless reruns)."""
    for k, v in values.items():
        s = url_text(v)
        if st.query_params.get(k) != s:
            st.query_params[k] = s


def md_literal(text: str) -> str:
    """`text` shown literally by st.markdown: every ASCII punctuation character becomes a numeric character
    reference, so nothing a user typed can open emphasis, a link, HTML, a table cell (|), LaTeX ($) or a
    colour directive (:red[...])."""
    return "".join(f"&#{ord(c)};" if c in string.punctuation else c for c in text)
