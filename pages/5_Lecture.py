"""Lectures: run a lecture from the app, scene by scene. Each lecture (assets/lectures/*.toml) is a list of
scenes; a scene opens a page with its settings, the lecturer's talking points and, sometimes, a question the
class answers before the figure gives it away."""
import streamlit as st

import lecture_ui
import ui
from rnnviz.app.lectures import LectureError, lectures
from rnnviz.i18n import t

lang = ui.setup_page("lecture.title", ":material/co_present:")
st.title(t("lecture.title", lang))
st.markdown(t("lecture.intro", lang))
try:
    shipped = lectures()
except LectureError as e:                      # a broken lecture file: say which scene and field
    st.error(ui.error_message(e, lang))
    st.stop()
PAGE_NAMES = {"home": "app.page.home", "hello": "app.page.hello", "step": "app.page.step", "grad": "app.page.grad",
              "lab": "app.page.lab"}
for lec in shipped.values():
    st.subheader(lec.title[lang])
    c1, c2 = st.columns(2)
    for col, present, key in ((c1, True, "lecture.present"), (c2, False, "lecture.follow")):
        script, query = lecture_ui.scene_link(lec.id, 1, lec.scene(1), lang, present=present)
        col.page_link(script, label=t(key, lang), icon=":material/slideshow:" if present else ":material/smartphone:",
                      query_params=query)
    with st.container(border=True):
        for k, scene in enumerate(lec.scenes, start=1):
            script, query = lecture_ui.scene_link(lec.id, k, scene, lang)
            mark = " · " + t("lecture.has_question", lang) if scene.question else ""
            st.page_link(script, label=f"{k}. {scene.title[lang]} — {t(PAGE_NAMES[scene.page], lang)}{mark}",
                         query_params=query)
st.caption(t("lecture.howto", lang))
