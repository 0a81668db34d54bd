"""The one error base of rnnviz: every error raised for bad input is a `RnnvizError` (a ValueError).

`code` and `params` name and fill the translation key "err.<domain>.<code>", so a UI shows the message
in the user's language (`ui.error_message`); str(error) is a clear English message for the library's
users. `specific` says whether str(error) carries details the translation table's entry does not (a row
number, a file name): the UI then shows them too.
"""
from __future__ import annotations


class RnnvizError(ValueError):
    domain = "value"
    specific = True

    def __init__(self, message: str, code: str = "invalid", **params):
        super().__init__(message)
        self.code, self.params = code, params

    @property
    def key(self) -> str:
        """The translation key of this error: "err.<domain>.<code>"."""
        return f"err.{self.domain}.{self.code}"
