"""The production configuration as a running server applies it (.streamlit/config.toml, read from the repository
root where `streamlit run app.py` starts): uploads without the XSRF token are refused, and an uncaught error shows
the user neither its message nor a traceback (client.showErrorDetails = "none"). The file itself and Streamlit's
reading of it: tests/test_security.py."""
from __future__ import annotations

import http.client
import urllib.parse

from tests.e2e import harness

SECRET = "SECRET-DETAIL-4711"


def _request(base: str, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    u = urllib.parse.urlsplit(base)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, r.read().decode(errors="replace")
    finally:
        c.close()


def test_the_running_server_is_healthy_and_refuses_uploads_without_the_xsrf_token(server):
    assert _request(server, "GET", "/_stcore/health") == (200, "ok")
    status, text = _request(server, "PUT", "/_stcore/upload_file/some-session/some-file", body=b"x" * 100,
                            headers={"Content-Type": "application/octet-stream"})
    assert status == 403 and "XSRF" in text, (status, text[:200])


def test_an_uncaught_error_shows_the_user_no_details(browser, tmp_path):
    script = tmp_path / "crash.py"
    script.write_text(f"import streamlit as st\nst.write('before')\nraise RuntimeError({SECRET!r})\n")
    with harness.start_server(script=str(script), cwd=harness.ROOT) as (base, _):
        context = browser.new_context()
        try:
            page = context.new_page()
            page.goto(base)
            harness.wait_for_app_run(page)
            page.get_by_text("before").wait_for()
            page.locator('[data-testid="stException"]').first.wait_for()      # the error is said ...
            text = page.locator("body").inner_text()
            assert SECRET not in text and "Traceback" not in text and "RuntimeError" not in text, text[-500:]
            assert "crash.py" not in text                                      # ... but not where or what
        finally:
            context.close()
