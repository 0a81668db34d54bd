"""Lecture mode on every page: the scene bar (a lecture's scene k of N, back / next with PageUp / PageDown),
the presenter view (?present=1: sidebar folded, larger text, talking points, the student link and its QR
code), entering a scene (its page, its settings) and the class answering its question. `ui.setup_page`
calls `scene_ui`; the lectures themselves are rnnviz.app.lectures."""
from __future__ import annotations

import secrets

import streamlit as st

import ui
from rnnviz.i18n import t

# Session keys a scene also clears on entry besides the page's URL-bound widget keys (ui.URL_KEYS): the Step
# page's playing cursor stops.
SCENE_ALSO = {"step": ("step.playing",)}


def scene_keys(page: str) -> set[str]:
    """The session keys a scene of `page` clears on entry, so the page reads the scene's settings from the URL
    again (results are never cleared)."""
    return set(ui.URL_KEYS.get(page, ())) | set(SCENE_ALSO.get(page, ()))


# Presenter view: the page's text larger for the back of a hall (Streamlit sizes text in rem), less padding.
PRESENTER_STYLE = ("<style>html {font-size: 19px} [data-testid=\"stMainBlockContainer\"] "
                   "{padding-top: 3.4rem; max-width: 100%}"
                   # the page's title one line, not a banner: the scene's figure comes up into the first screen
                   "[data-testid=\"stMain\"] h1 {font-size: 1.9rem; padding: 0.2rem 0}</style>")


def scene_entered() -> bool:
    """True once after a lecture's scene was entered (the page then shows the scene's settings as if its
    button had been pressed: the Hello page trains them). Kept until the page asks, so a scene whose figure
    is held back behind its question still trains when it is shown."""
    return bool(st.session_state.pop("_scene_entered", False))


def _scene_params(lec_id: str, k: int, scene, lang: str, present: bool) -> dict:
    """The query of scene k's link: its settings, the lecture and scene, the language, the class session (so
    a class moves on together) and, for the presenter, present=1."""
    cls = st.query_params.get("class")
    return {**scene.params, "lecture": lec_id, "scene": str(k), **({"lang": lang} if lang != "en" else {}),
            **({"class": cls[:12]} if cls else {}), **({"present": "1"} if present else {})}


def scene_link(lec_id: str, k: int, scene, lang: str, present: bool = False) -> tuple[str, dict]:
    """(script, query parameters) that open scene k of a lecture."""
    return ui.SCRIPT_OF_PAGE[scene.page], _scene_params(lec_id, k, scene, lang, present)


def _goto_scene(lec, k: int, lang: str, present: bool) -> None:
    script, query = scene_link(lec.id, k, lec.scene(k), lang, present)
    st.switch_page(script, query_params=query)


def scene_ui(page: str, lang: str, present: bool) -> None:
    """?lecture=<id>&scene=<k> on any page: open that scene (on its page, with its settings) and draw the scene
    bar: the lecture, k of N, the scene's title, previous / next (keys PageUp / PageDown, what a presenter's
    clicker sends). With ?present=1 also the talking points and the student link. A bad lecture or scene in
    the URL: a notice, and the page as it is."""
    lec_id, k_raw = st.query_params.get("lecture"), st.query_params.get("scene")
    st.session_state["_scene_asks"] = False             # set below while a scene asks its own question
    if not lec_id:
        return
    from rnnviz.app.lectures import LectureError, lectures
    try:
        lec = lectures().get(lec_id)
    except LectureError as e:
        st.warning(ui.error_message(e, lang))
        return
    if lec is None:
        st.warning(t("lecture.unknown", lang, id=ui.md_literal(lec_id[:40])))
        return
    try:
        k = int(k_raw or "1")
        scene = lec.scene(k)
    except (ValueError, LectureError):                  # said on the page the scene opens on
        st.session_state["_scene_notice"] = t("lecture.bad_scene", lang, n=len(lec.scenes),
                                              value=ui.md_literal(str(k_raw)[:10]))
        k, scene = 1, lec.scene(1)
    if scene.page != page:                              # the scene lives on another page: go there
        _goto_scene(lec, k, lang, present)
    ss = st.session_state
    if "_scene_notice" in ss:
        st.warning(ss.pop("_scene_notice"))
    if ss.get("_scene") != (lec.id, k):                 # entering the scene: its settings, from the URL
        ss["_scene"] = (lec.id, k)
        for key in scene_keys(page) & set(ss.keys()):
            del ss[key]
            ss.get("_url_read", set()).discard(key)     # read from the scene's URL as from a link (ui.url_state)
        for name, value in scene.params.items():
            st.query_params[name] = value
        ss["_scene_entered"] = True
    with st.container(border=True, key="scene_bar"):
        c1, c2, c3 = st.columns([2, 7, 2], vertical_alignment="center")
        if c1.button("◀ " + t("lecture.prev_short", lang), key="scene.prev", disabled=k == 1, shortcut="PageUp",
                     help=t("lecture.prev", lang), width="stretch"):
            _goto_scene(lec, k - 1, lang, present)
        c2.markdown(f"**{ui.md_literal(lec.title[lang])}** · {t('lecture.k_of_n', lang, k=k, n=len(lec.scenes))} · "
                    f"**{ui.md_literal(scene.title[lang])}**")
        if c3.button(t("lecture.next_short", lang) + " ▶", key="scene.next", disabled=k == len(lec.scenes),
                     shortcut="PageDown", help=t("lecture.next", lang), width="stretch"):
            _goto_scene(lec, k + 1, lang, present)
        if present:
            with st.expander(t("lecture.points", lang), expanded=False):   # opened by the lecturer, not the hall
                st.markdown("\n".join(f"- {ui.md_literal(p)}" for p in scene.points[lang]))
                st.caption(t("lecture.keys", lang))
                class_ui(lang)
                st.caption(t("lecture.student_link", lang))
                url, reachable = student_url(lec.id, k, scene, lang)
                st.code(url, language=None, wrap_lines=True)
                if not reachable:
                    st.warning(t("lecture.link_local", lang))
                st.image(qr_png(url), caption=t("lecture.qr", lang), width=220)
    if scene.question is not None:
        st.session_state["_scene_asks"] = True           # the page's own prompts stay away (prompts_ui)
        question_ui(lec.id, k, scene.question, lang, present)


def student_url(lec_id: str, k: int, scene, lang: str) -> tuple[str, bool]:
    """The link students open for this scene (the same page and settings, without the presenter's box), and
    whether their devices can reach it (not when it names the presenter's own machine: localhost)."""
    import os
    from urllib.parse import urlencode

    from rnnviz.app.lectures import student_base
    address = st.get_option("server.address")
    base, reachable = student_base(st.context.url or "", os.environ.get("RNNVIZ_PUBLIC_URL"),
                                   listens_on_all=address in (None, "", "0.0.0.0", "::"))
    script, query = scene_link(lec_id, k, scene, lang)
    path = "/" if script == "app.py" else "/" + script.split("/")[-1][2:-3]
    return f"{base}{path}?{urlencode(query)}", reachable


def qr_png(text: str) -> bytes:
    """A QR code of `text` as PNG bytes (segno: pure Python), for phones in the hall to open the link."""
    import io

    import segno
    buf = io.BytesIO()
    segno.make(text[:1000], error="m").save(buf, kind="png", scale=6, border=2)
    return buf.getvalue()


def question_ui(lec_id: str, k: int, q, lang: str, present: bool = False) -> None:
    """Predict before you look. Alone (no class session): the answer and why, once this student answered.
    In a class session (?class=<code>): each student's answer goes to the class; the presenter sees the tally
    live and reveals the answer to everyone (both views poll every few seconds)."""
    from rnnviz.app import classroom as C
    qid, n = f"{lec_id}:{k}", len(q.choices[lang])
    code = st.query_params.get("class")
    with st.container(border=True, key="scene_question"):
        st.markdown(f"**{t('lecture.predict', lang)}** {ui.md_literal(q.text[lang])}")
        if code:
            try:
                code = C.check_code(code)
                if not C.class_exists(code):
                    raise C.ClassError("unknown class", code="unknown", value=code)
            except C.ClassError as e:
                st.warning(ui.error_message(e, lang))
                code = None
        if code is None:
            if self_check_ui(qid, q, lang) is None:
                _hold_back(lang)                               # predict before you look: the figure after
        elif present:
            _tally_ui(code, qid, q, lang)
            if not C.revealed(code, qid):
                _hold_back(lang)
        else:
            student = st.session_state.setdefault("_student", secrets.token_urlsafe(9))

            def send():
                C.answer(code, qid, student, st.session_state[f"_class_answer.{qid}"], n)

            st.radio(t("lecture.your_answer", lang), list(range(n)), index=C.my_answer(code, qid, student),
                     key=f"_class_answer.{qid}", format_func=lambda i: q.choices[lang][i], horizontal=True,
                     on_change=send)
            if C.revealed(code, qid):                          # nothing left to wait for: no polling
                _reveal_ui(q, lang, C.my_answer(code, qid, student))
            else:
                st.session_state[f"_held.{qid}"] = True
                _student_wait_ui(code, qid, q, lang, student)
                _hold_back(lang)


def self_check_ui(qid: str, q, lang: str) -> int | None:
    """A question answered alone, kept in this session only (no class, nothing stored): the choices (none
    picked at first) and, once one is picked, ✓ or ✗ with the answer and why. Returns the choice or None.
    A lecture scene's question (which then holds the page back) and every page's own prompts (`prompts_ui`).
    The answer is also kept apart from the widget: Streamlit drops a widget's state when a run does not draw it
    (another tab, another scene), and coming back must show the answer given."""
    answers, key = st.session_state.setdefault("_answers", {}), f"_answer.{qid}"

    def keep():
        answers[qid] = st.session_state[key]

    choice = st.radio(t("lecture.your_answer", lang), list(range(len(q.choices[lang]))), index=answers.get(qid),
                      key=key, format_func=lambda i: q.choices[lang][i], horizontal=True, on_change=keep)
    if choice is not None:
        _reveal_ui(q, lang, choice)
    return choice


def prompts_ui(page: str, lang: str, **view) -> None:
    """A page's own "predict before you look" prompts for what it shows now (`view`: the settings named by
    rnnviz.app.prompts.PROMPT_VIEWS, such as the open tab), folded in one box. Self-check: nothing is held
    back. Not in a lecture scene that asks its own question (one question at a time)."""
    from rnnviz.app.lectures import LectureError
    from rnnviz.app.prompts import for_view
    if st.session_state.get("_scene_asks"):
        return
    try:
        shown = for_view(page, view)
    except LectureError as e:                           # a broken prompts file: said, and the page goes on
        st.warning(ui.error_message(e, lang))
        return
    if shown:
        _prompts_box(page, shown, lang)


@st.fragment
def _prompts_box(page: str, shown: list, lang: str) -> None:
    """The folded box of prompts. Its questions are drawn only while it is open (a lazy expander: opening or
    closing it, and answering, rerun this fragment alone), so the page's every other rerun sends one element
    for it, not a dozen; the answers stay in the session (`self_check_ui`) while it is closed."""
    box = st.expander(t("prompts.title", lang), icon=":material/quiz:", key=prompts_key(page), on_change="rerun")
    if not box.open:
        return
    with box:
        st.caption(t("prompts.howto", lang))
        for p in shown:
            with st.container(border=True, key=f"prompt_{p.id}"):
                st.markdown(f"**{ui.md_literal(p.question.text[lang])}**")
                self_check_ui(f"prompt:{p.id}", p.question, lang)


def prompts_key(page: str) -> str:
    """The widget key of a page's prompts box (True while it is open)."""
    return f"_prompts.{page}"


def _hold_back(lang: str) -> None:
    """The rest of the page (the figure that gives the answer away) waits until the question is answered."""
    st.caption(t("lecture.held_back", lang))
    st.stop()


def _reveal_ui(q, lang: str, choice: int | None) -> None:
    """The answer and why: marked right (✓) or not (✗) for the student's own choice. Drawn as text inside the
    question's box, not as a page-wide alert, so it never reads as the page's own status."""
    right = ui.md_literal(q.choices[lang][q.answer])
    if choice is None:
        msg, colour = t("lecture.answer_is", lang, answer=right), "blue"
    elif choice == q.answer:
        msg, colour = "✓ " + t("lecture.right", lang, answer=right), "green"
    else:
        msg, colour = "✗ " + t("lecture.wrong", lang, answer=right), "orange"
    st.markdown(f":{colour}-background[{msg}] {ui.md_literal(q.explain[lang])}")


@st.fragment(run_every=2)
def _tally_ui(code: str, qid: str, q, lang: str) -> None:
    """The presenter's live tally (redrawn every 2 s) and the reveal button."""
    from rnnviz.app import classroom as C
    counts = C.tally(code, qid, len(q.choices[lang]))
    total = sum(counts)
    st.caption(t("lecture.class_answers", lang, code=code, n=total))
    for i, (choice, c) in enumerate(zip(q.choices[lang], counts)):
        st.progress(c / total if total else 0.0, text=f"{ui.md_literal(choice)}: {c}")
    if C.revealed(code, qid):
        _reveal_ui(q, lang, None)
    elif st.button(t("lecture.reveal", lang), key=f"_reveal.{qid}", type="primary"):
        C.reveal(code, qid)
        st.rerun()                                           # the answer, and the figure held back so far


@st.fragment(run_every=3)
def _student_wait_ui(code: str, qid: str, q, lang: str, student: str) -> None:
    """The student's view after answering: "sent", then the answer once the presenter reveals it."""
    from rnnviz.app import classroom as C
    mine = C.my_answer(code, qid, student)
    if C.revealed(code, qid):
        if st.session_state.pop(f"_held.{qid}", False):      # the page was held back: show it all now
            st.rerun()
        _reveal_ui(q, lang, mine)
    elif mine is not None:
        st.caption(t("lecture.sent", lang))


def class_ui(lang: str) -> None:
    """The presenter's class session: start one (its code goes into the URL and the student link)."""
    from rnnviz.app import classroom as C
    code = st.query_params.get("class")
    if code:
        st.markdown(t("lecture.class_code", lang, code=ui.md_literal(code)))
    elif st.button(t("lecture.start_class", lang), key="scene.start_class"):
        st.query_params["class"] = C.start_class()
        st.rerun()
