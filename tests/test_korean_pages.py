"""Every page and tab in Korean, as AppTest sees it: no English in the texts and in the tables (a table is drawn
on a canvas, so the browser check of tests/e2e/test_screens.py cannot read it)."""
from __future__ import annotations

import pytest

from tests.apptest import open_page
from tests.e2e.test_screens import VIEWS
from tests.korean import english_words

PAGES = {"": None, "Hello_Playground": "pages/1_Hello_Playground.py", "Step_Through": "pages/2_Step_Through.py",
         "Vanishing_Gradients": "pages/3_Vanishing_Gradients.py", "Sequence_Tasks": "pages/4_Sequence_Tasks.py",
         "Lecture": "pages/5_Lecture.py"}


@pytest.mark.slow
@pytest.mark.parametrize("view, path, query", VIEWS, ids=[v[0] for v in VIEWS])
def test_no_english_on_a_korean_view(view, path, query):
    at = open_page(PAGES[path], timeout=180, lang="ko", **query)
    assert not at.exception
    texts = [e.value for kind in ("title", "header", "subheader", "caption", "info", "warning", "success", "error")
             for e in getattr(at, kind)]
    for df in at.dataframe:
        texts += [str(c) for c in df.value.columns]
        texts += [str(v) for col in df.value.columns for v in df.value[col] if isinstance(v, str) and len(v) > 1
                  and " · " not in v]                                # top-k predictions: characters, data
    found = sorted({w for s in texts for w in english_words(s)})
    assert not found, f"English on the Korean {view} view: {found}"
