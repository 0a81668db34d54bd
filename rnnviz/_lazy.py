"""Lazy exports for a package: names that load their module on first use (PEP 562), so importing the
package stays cheap (no torch) until a name that needs it is used."""
from __future__ import annotations

import importlib
from typing import Callable


def lazy_exports(package: str, exports: dict[str, str], namespace: dict) -> tuple[Callable, Callable]:
    """(__getattr__, __dir__) for `package` whose `exports` map a public name to its submodule (relative,
    e.g. "nn.model"); `namespace` is the package's globals()."""
    def __getattr__(name: str):
        if name in exports:
            return getattr(importlib.import_module(f".{exports[name]}", package), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(list(namespace) + list(exports))

    return __getattr__, __dir__
