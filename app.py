"""rnnviz home page: what the app shows and where to start."""
import streamlit as st

import ui
from rnnviz.i18n import t

lang = ui.setup_page("app.title", ":material/home:")
st.title(t("app.title", lang))
st.markdown(t("app.tagline", lang))
st.subheader(t("app.pages", lang))
for script, key, icon in ui.PAGES[1:]:
    with st.container(border=True):
        st.page_link(script, label=f"**{t(key, lang)}**", icon=icon,
                     query_params={"lang": lang} if lang != "en" else None)
        st.caption(t(f"{key}.desc", lang))
st.subheader(t("app.concepts", lang))
st.markdown(t("app.concepts.body", lang))
