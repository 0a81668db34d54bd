"""Refresh the locks: requirements.lock (the app) and requirements-test.lock (the app and its tests).

    python scripts/lock.py                       # Python 3.11 (this interpreter) and 3.10 (found on PATH or pyenv)
    python scripts/lock.py --python /path/to/python3.10 --python /path/to/python3.11

requirements.txt and requirements-test.txt say what rnnviz needs (ranges); the locks say exactly what the
test suite passed on: every package, direct and transitive, at one version. For each interpreter this
runs pip-tools' pip-compile (in a small tool venv of that Python, made once under ~/.cache/rnnviz-lock),
first on requirements-test.txt, then on requirements.txt constrained by that result, so the app lock is
the test lock's subset. The per-Python results are merged into one file each: a package pinned alike on
every Python gets one line; one that differs (numpy 2.4 needs Python 3.11, say) gets one line per Python
with a `python_version` marker.

Two edits to what pip-compile writes:
- torch's local version label is dropped (`torch==2.13.0+cpu` -> `torch==2.13.0`): the CPU wheel on this
  machine and PyPI's builds are the same release, and PyPI has no `+cpu` version.
- torch's CUDA libraries (nvidia-*, triton, cuda-*) are left out: they are platform-specific
  dependencies of PyPI's Linux build of torch only, which pip adds by itself where they apply.

After a refresh: install the new lock in a fresh venv and run the whole suite (`bash .ci/run` does both).
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PIP_TOOLS = "pip-tools==7.6.2"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "rnnviz-lock"
LEFT_TO_PIP = re.compile(r"^(nvidia-.*|triton|cuda-.*)$")
LINE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)\s*(?:#\s*(.*))?$")
LOCKS = {"requirements-test.txt": "requirements-test.lock", "requirements.txt": "requirements.lock"}
COMPILE = ["--quiet", "--allow-unsafe", "--strip-extras", "--no-emit-find-links", "--no-emit-index-url",
           "--no-emit-trusted-host", "--annotation-style=line", "--no-header", "--rebuild"]


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def python_version(python: str) -> str:
    out = subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                         check=True, capture_output=True, text=True).stdout.strip()
    return out


def find_python310() -> str | None:
    for cand in [shutil.which("python3.10"), *sorted(Path.home().glob(".pyenv/versions/3.10.*/bin/python"))]:
        if not cand or not Path(cand).exists():
            continue
        try:
            if python_version(str(cand)) == "3.10":
                return str(cand)
        except (OSError, subprocess.CalledProcessError):          # e.g. a pyenv shim of a Python not selected
            continue
    return None


def tool_venv(python: str, version: str) -> Path:
    """A venv of `python` with pip-tools in it (made once)."""
    venv = CACHE / f"pip-tools-{version}"
    exe = venv / "bin" / "pip-compile"
    if not exe.exists():
        subprocess.run([python, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", PIP_TOOLS], check=True)
    return exe


def compile_one(pip_compile: Path, src: str, out: Path, constraint: Path | None) -> dict[str, tuple[str, str]]:
    """pip-compile `src` into `out`; returns {canonical name: (version, annotation)}."""
    cmd = [str(pip_compile), *COMPILE, "--output-file", str(out), src]
    if constraint is not None:
        cmd += ["--constraint", str(constraint)]
    subprocess.run(cmd, check=True, cwd=ROOT)
    pins: dict[str, tuple[str, str]] = {}
    for raw in out.read_text().splitlines():
        m = LINE.match(raw.strip())
        if not m:
            continue
        name, version, via = canonical(m.group(1)), m.group(2), (m.group(3) or "").strip()
        if LEFT_TO_PIP.match(name):
            continue
        if name == "torch":
            version = version.split("+", 1)[0]
        pins[name] = (version, via.replace("via ", "", 1))
    return pins


def merge(per_python: dict[str, dict[str, tuple[str, str]]]) -> list[str]:
    """One line per package pinned alike on every Python, else one marked line per Python version."""
    versions = sorted(per_python, key=lambda v: tuple(map(int, v.split("."))))
    names = sorted({n for pins in per_python.values() for n in pins})
    lines = []
    for name in names:
        pins = {v: per_python[v].get(name) for v in versions}
        found = {p[0] for p in pins.values() if p}
        via = next(p[1] for v in reversed(versions) if (p := pins[v]))
        if len(found) == 1 and all(pins.values()):
            lines.append(_pin(name, found.pop(), "", via))
            continue
        for i, v in enumerate(versions):
            if not pins[v]:
                continue
            lo = f'python_version >= "{v}"' if i > 0 else ""
            hi = f'python_version < "{versions[i + 1]}"' if i + 1 < len(versions) else ""
            marker = " and ".join(x for x in (lo, hi) if x)
            lines.append(_pin(name, pins[v][0], marker, pins[v][1]))
    return lines


def _pin(name: str, version: str, marker: str, via: str) -> str:
    req = f"{name}=={version}" + (f" ; {marker}" if marker else "")
    return f"{req:<58}# via {via}" if via else req


def header(src: str, versions: list[str]) -> str:
    return (f"# The exact versions the test suite passed on, made from {src} by `python scripts/lock.py`\n"
            f"# (pip-compile, Python {' and '.join(versions)}; a newer Python takes the newest one's lines).\n"
            "# Install with `pip install -r <this file>`. Do not edit by hand: change the ranges in the .txt\n"
            "# file, refresh, and run the whole suite on the result (`bash .ci/run`).\n"
            "# torch: the CPU wheel; PyPI's Linux build adds its CUDA libraries itself (README: 'GPU').\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--python", action="append", help="an interpreter to lock for (repeatable); default: "
                    "this one and a Python 3.10 if there is one")
    args = ap.parse_args(argv)
    pythons = args.python or [sys.executable, *filter(None, [find_python310()])]
    by_version = {python_version(p): p for p in pythons}
    per_lock: dict[str, dict[str, dict]] = {lock: {} for lock in LOCKS.values()}
    with tempfile.TemporaryDirectory() as tmp:
        for version, python in sorted(by_version.items()):
            print(f"locking for Python {version} ({python}) ...", flush=True)
            pip_compile = tool_venv(python, version)
            test_out = Path(tmp) / f"test-{version}.txt"
            per_lock["requirements-test.lock"][version] = compile_one(pip_compile, "requirements-test.txt",
                                                                      test_out, None)
            per_lock["requirements.lock"][version] = compile_one(pip_compile, "requirements.txt",
                                                                 Path(tmp) / f"app-{version}.txt", test_out)
    for src, lock in LOCKS.items():
        versions = sorted(per_lock[lock], key=lambda v: tuple(map(int, v.split("."))))
        text = header(src, versions) + "\n".join(merge(per_lock[lock])) + "\n"
        (ROOT / lock).write_text(text)
        print(f"wrote {lock}: {len(merge(per_lock[lock]))} lines")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
