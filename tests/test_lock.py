"""The locks and the two README commands: requirements.lock / requirements-test.lock satisfy the ranges in
requirements.txt / requirements-test.txt on every supported Python, are closed under dependencies, are what
is installed, and README.md's commands (which .ci/run reads and runs as written) install from them."""
from __future__ import annotations

import importlib.metadata as md
import re
import sys
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from scripts import lock as lockscript
from scripts.readme_command import ReadmeError, command

ROOT = Path(__file__).resolve().parents[1]
PYTHONS = ("3.10", "3.11", "3.12", "3.13", "3.14")        # README: Python 3.10+
TESTED = ("3.10", "3.11")                                   # the interpreters scripts/lock.py compiles for
LOCKS = {"app": ROOT / "requirements.lock", "test": ROOT / "requirements-test.lock"}


def ranges(path: Path) -> list[Requirement]:
    """The requirements of a requirements file, following `-r` includes."""
    out = []
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("-r "):
            out += ranges(path.parent / line[3:].strip())
            continue
        assert not line.startswith("-"), f"{path.name}: unexpected option {line!r}"
        out.append(Requirement(line))
    return out


def lock_lines(path: Path) -> list[Requirement]:
    reqs = []
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            req = Requirement(line)
            assert len(req.specifier) == 1 and next(iter(req.specifier)).operator == "==", \
                f"{path.name}: {line!r} is not an exact pin"
            assert not req.extras and not req.url, f"{path.name}: {line!r}: no extras, no URLs in a lock"
            reqs.append(req)
    return reqs


def env_for(python: str) -> dict:
    env = dict(default_environment())
    env.update(python_version=python, python_full_version=f"{python}.0")
    return env


def pins_for(path: Path, python: str) -> dict[str, str]:
    """{canonical name: version} of the lock's lines that apply on `python` (one per package)."""
    pins: dict[str, str] = {}
    for req in lock_lines(path):
        if req.marker is None or req.marker.evaluate(env_for(python)):
            name = canonicalize_name(req.name)
            assert name not in pins, f"{path.name}: {req.name} pinned twice on Python {python}"
            pins[name] = next(iter(req.specifier)).version
    return pins


@pytest.mark.parametrize("python", PYTHONS)
@pytest.mark.parametrize("which, source", [("app", "requirements.txt"), ("test", "requirements-test.txt")])
def test_lock_satisfies_the_ranges(which, source, python):
    pins = pins_for(LOCKS[which], python)
    for req in ranges(ROOT / source):
        if req.marker is not None and not req.marker.evaluate(env_for(python)):
            continue
        name = canonicalize_name(req.name)
        assert name in pins, f"{LOCKS[which].name} has no pin for {req} (from {source}) on Python {python}"
        assert req.specifier.contains(pins[name], prereleases=True), \
            f"{LOCKS[which].name}: {name}=={pins[name]} is outside {source}'s range {req} (Python {python})"


@pytest.mark.parametrize("python", PYTHONS)
def test_app_lock_is_the_test_locks_subset(python):
    app, test = pins_for(LOCKS["app"], python), pins_for(LOCKS["test"], python)
    assert app and set(app) < set(test)
    assert {n: test[n] for n in app} == app, "the app and test locks disagree on a version"
    assert not {"pytest", "playwright"} & set(app), "test tools belong to the test lock only"


def test_torch_is_the_cpu_wheel_release_and_no_local_label():
    for path in LOCKS.values():
        torch_lines = [r for r in lock_lines(path) if r.name == "torch"]
        assert [str(r.specifier) for r in torch_lines] == ["==2.13.0"], (path.name, torch_lines)
        text = path.read_text()
        assert "+cpu" not in text and not re.search(r"^nvidia-|^triton==", text, flags=re.M), path.name


def test_the_lock_script_merges_per_python_pins_with_markers():
    merged = lockscript.merge({
        "3.10": {"numpy": ("2.2.6", "pandas"), "pytest": ("9.2.0", "-r t"), "tomli": ("2.4.0", "pytest")},
        "3.11": {"numpy": ("2.4.6", "pandas"), "pytest": ("9.2.0", "-r t")},
    })
    reqs = [Requirement(line.split("#")[0]) for line in merged]
    assert [str(r) for r in reqs] == ['numpy==2.2.6; python_version < "3.11"',
                                      'numpy==2.4.6; python_version >= "3.11"',
                                      "pytest==9.2.0",
                                      'tomli==2.4.0; python_version < "3.11"']
    assert merged[0].endswith("# via pandas")


def _requirements_of(dist: md.Distribution, extras: frozenset[str], env: dict) -> list[Requirement]:
    reqs = []
    for raw in dist.requires or []:
        req = Requirement(raw)
        if req.marker is None:
            reqs.append(req)
            continue
        for extra in ("", *extras):
            if req.marker.evaluate({**env, "extra": extra}):
                reqs.append(req)
                break
    return reqs


def _installed() -> dict[str, md.Distribution]:
    return {canonicalize_name(d.metadata["Name"]): d for d in md.distributions()}


@pytest.mark.parametrize("which", ["app", "test"])
def test_installed_packages_are_the_lock_and_the_lock_is_closed(which):
    """What this suite runs on is the lock (so a green run vouches for the lock), and every requirement
    of every locked package, with the extras asked for, is locked too (torch's CUDA libraries aside)."""
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    pins, dists, env = pins_for(LOCKS[which], here), _installed(), env_for(here)
    wrong = {n: (v, dists[n].version if n in dists else None) for n, v in pins.items()
             if n not in dists or not Requirement(f"x=={v}").specifier.contains(dists[n].version)}
    assert not wrong, ("installed packages differ from the lock (locked, installed): "
                       f"{wrong}; install with `pip install -r {LOCKS['test'].name}`")
    todo = [(n, frozenset()) for n in pins]
    seen: set[tuple[str, frozenset]] = set()
    missing = []
    while todo:
        name, extras = todo.pop()
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        for req in _requirements_of(dists[name], extras, env):
            dep = canonicalize_name(req.name)
            if lockscript.LEFT_TO_PIP.match(dep):
                continue
            if dep not in pins:
                missing.append(f"{name} needs {req}")
                continue
            assert req.specifier.contains(pins[dep], prereleases=True), f"{name} needs {req}, lock has {pins[dep]}"
            todo.append((dep, frozenset(req.extras)))
    assert not missing, f"{LOCKS[which].name} is not closed: {missing}"


def test_lock_headers_say_how_to_refresh():
    for path in LOCKS.values():
        head = path.read_text().splitlines()[:5]
        assert any("python scripts/lock.py" in line for line in head), path.name
        assert any(f"Python {' and '.join(TESTED)}" in line for line in head), path.name


# ---- README's two commands ----------------------------------------------------------------------------

def test_readme_commands_install_from_the_locks_in_a_new_venv():
    run, test = command("run"), command("test")
    assert run == ("python3 -m venv .venv && . .venv/bin/activate && pip install -r requirements.lock "
                   "&& streamlit run app.py")
    assert test == ("python3 -m venv .venv && . .venv/bin/activate && pip install -r requirements-test.lock "
                    "&& python -m pytest -q")
    assert "--system-site-packages" not in run + test


def test_ci_runs_readmes_commands_as_written():
    ci = (ROOT / ".ci" / "run").read_text()
    assert 'TEST_CMD="$(python3 scripts/readme_command.py test)"' in ci
    assert 'RUN_CMD="$(python3 scripts/readme_command.py run)"' in ci
    assert 'bash -c "$TEST_CMD"' in ci and "scripts/smoke_app.py" in ci
    assert "rm -rf .venv" in ci and "pip install" not in ci      # every install is README's own


@pytest.mark.parametrize("text, error", [
    ("# x\n", "no heading"),
    ("## Test it\n\nno block\n", "no ```bash block"),
    ("## Test it\n\n```bash\necho a\necho b\n```\n", "one command line, not 2"),
    ("## Test it\n\n```bash\n```\n## Run it\n```bash\nls\n```\n", "one command line, not 0"),
])
def test_readme_command_rejects_an_unclear_readme(text, error):
    with pytest.raises(ReadmeError, match=re.escape(error)):
        command("test", text)


def test_readme_command_reads_only_its_own_section():
    text = "## Run it\n\n```bash\n# a comment\nstreamlit run app.py\n```\n\n## Test it\n\n```bash\npytest\n```\n"
    assert command("run", text) == "streamlit run app.py" and command("test", text) == "pytest"
    with pytest.raises(ReadmeError, match="one of"):
        command("deploy", text)
