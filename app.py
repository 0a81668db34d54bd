"""rnnviz home page: what the app shows and where to start."""
import streamlit as st

import ui
from rnnviz.i18n import t

lang = ui.setup_page("app.title", ":material/home:")


@st.cache_data(max_entries=4, show_spinner=False)
def _hello_picture(lang: str):
    """The classic task, unrolled: h→e, e→l, l→l, l→o, one RNN cell with the same weights at every step.
    (Drawn here, it also loads the chart library, so the pages' figures appear at once after a click.)"""
    from rnnviz.figures.step import unrolled_figure
    return unrolled_figure("rnn", list("hell"), lang=lang, targets=list("ello"), vocab=list("helo"))


st.title(t("app.title", lang))
st.markdown(t("app.tagline", lang))
c1, c2 = st.columns([3, 1], vertical_alignment="center")
ui.plotly_chart(_hello_picture(lang), key="home.hello_fig", width="stretch", where=c1)
c2.caption(t("app.hello_picture", lang))
st.subheader(t("app.pages", lang))
for script, key, icon in ui.PAGES[1:]:
    with st.container(border=True):
        st.page_link(script, label=f"**{t(key, lang)}**", icon=icon,
                     query_params={"lang": lang} if lang != "en" else None)
        st.caption(t(f"{key}.desc", lang))
st.subheader(t("app.concepts", lang))
st.markdown(t("app.concepts.body", lang))
