"""rnnviz home page: what the app shows and where to start."""
import streamlit as st

import ui
from rnnviz.i18n import t

lang = ui.setup_page("app.title")
st.title(t("app.title", lang))
st.markdown(t("app.tagline", lang))
st.subheader(t("app.pages", lang))
st.page_link("pages/1_Hello_Playground.py", label=t("app.page.hello", lang), icon="👋")
st.caption(t("app.page.hello.desc", lang))
st.subheader(t("app.concepts", lang))
st.markdown(t("app.concepts.body", lang))
