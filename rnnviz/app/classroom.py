"""The class answers: a lecturer starts a class session with a short code; every student's device answers a
scene's question once (a new answer replaces that student's old one); the presenter sees the tally and
reveals the answer to everyone.

Kept in an embedded SQLite database (WAL mode: many readers and one writer at a time, each write one short
transaction), so a server restart loses nothing and 100 students answering in the same second all count.
The path is `RNNVIZ_CLASS_DB` or `db_path()`'s default under the user's cache folder. Everything is
bounded: codes are 6 characters of an unambiguous alphabet, MAX_CLASSES classes are kept (the oldest go
first), MAX_ANSWERS answers per class, and question and student ids are short strings. No streamlit here.
"""
from __future__ import annotations

import os
import secrets
import sqlite3
import time
from contextlib import closing
from pathlib import Path

from ..errors import RnnvizError

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"     # no 0/O, 1/I: read aloud and typed on a phone
CODE_LEN = 6
MAX_CLASSES = 500
MAX_ANSWERS = 20_000          # per class: 100 students x 200 questions
MAX_ID = 80                   # characters of a question id or a student id
MAX_CHOICE = 16

_SCHEMA = """
CREATE TABLE IF NOT EXISTS classes (code TEXT PRIMARY KEY, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS answers (code TEXT NOT NULL, question TEXT NOT NULL, student TEXT NOT NULL,
    choice INTEGER NOT NULL, at REAL NOT NULL, PRIMARY KEY (code, question, student));
CREATE TABLE IF NOT EXISTS reveals (code TEXT NOT NULL, question TEXT NOT NULL, PRIMARY KEY (code, question));
"""


_READY: set = set()     # (path, inode) of the database files this process has set up


class ClassError(RnnvizError):
    """A class code or answer that cannot be used (translation key "err.class.<code>")."""
    domain = "class"
    specific = False


def db_path() -> Path:
    """Where the answers are kept: $RNNVIZ_CLASS_DB, else ~/.cache/rnnviz/class.sqlite3."""
    env = os.environ.get("RNNVIZ_CLASS_DB")
    if env:
        return Path(env)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "rnnviz" / "class.sqlite3"


def _connect(path: Path | None = None) -> sqlite3.Connection:
    path = Path(path) if path is not None else db_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=10.0, isolation_level=None)     # autocommit; BEGIN IMMEDIATE below
    con.execute("PRAGMA synchronous=NORMAL")
    key = (str(path), path.stat().st_ino)
    if key not in _READY:                  # once per database file and process: WAL mode and the tables
        con.execute("PRAGMA journal_mode=WAL")
        con.executescript(_SCHEMA)
        _READY.add(key)
    return con


def check_code(code) -> str:
    """A class code as typed (spaces and case forgiven) -> its canonical form, or ClassError("malformed")."""
    c = code.strip().upper().replace(" ", "").replace("-", "") if isinstance(code, str) else ""
    if len(c) != CODE_LEN or any(ch not in ALPHABET for ch in c):
        raise ClassError(f"a class code is {CODE_LEN} letters and digits (like {ALPHABET[:3]}{ALPHABET[-3:]}), "
                         f"not {str(code)[:20]!r}", code="malformed", n=CODE_LEN)
    return c


def _check_id(name: str, value) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_ID:
        raise ClassError(f"the {name} id must be 1 to {MAX_ID} characters", code="bad_id", name=name, limit=MAX_ID)
    return value


def start_class(path: Path | None = None) -> str:
    """A new class session: its code. The oldest classes beyond MAX_CLASSES are dropped with their answers."""
    with closing(_connect(path)) as con:
        con.execute("BEGIN IMMEDIATE")
        try:
            while True:
                code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LEN))
                if con.execute("SELECT 1 FROM classes WHERE code = ?", (code,)).fetchone() is None:
                    break
            con.execute("INSERT INTO classes VALUES (?, ?)", (code, time.time()))
            old = [r[0] for r in con.execute("SELECT code FROM classes ORDER BY created DESC LIMIT -1 OFFSET ?",
                                             (MAX_CLASSES,))]
            for c in old:
                for table in ("answers", "reveals", "classes"):
                    con.execute(f"DELETE FROM {table} WHERE code = ?", (c,))
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return code


def _known(con, code: str) -> None:
    if con.execute("SELECT 1 FROM classes WHERE code = ?", (code,)).fetchone() is None:
        raise ClassError(f"there is no class session {code} on this server (it may have ended)", code="unknown",
                         value=code)


def class_exists(code: str, path: Path | None = None) -> bool:
    with closing(_connect(path)) as con:
        return con.execute("SELECT 1 FROM classes WHERE code = ?", (check_code(code),)).fetchone() is not None


def answer(code: str, question: str, student: str, choice: int, n_choices: int, path: Path | None = None) -> None:
    """Student `student`'s answer `choice` (0 .. n_choices - 1) to `question` in class `code`: one per student
    and question (a new answer replaces the old one)."""
    code, question, student = check_code(code), _check_id("question", question), _check_id("student", student)
    if not isinstance(n_choices, int) or not 2 <= n_choices <= MAX_CHOICE or isinstance(choice, bool) \
            or not isinstance(choice, int) or not 0 <= choice < n_choices:
        raise ClassError(f"the answer must be a choice from 0 to {n_choices - 1}, not {choice!r}", code="bad_choice")
    with closing(_connect(path)) as con:
        con.execute("BEGIN IMMEDIATE")
        try:
            _known(con, code)
            n = con.execute("SELECT COUNT(*) FROM answers WHERE code = ?", (code,)).fetchone()[0]
            if n >= MAX_ANSWERS and con.execute("SELECT 1 FROM answers WHERE code = ? AND question = ? AND student = ?",
                                                (code, question, student)).fetchone() is None:
                raise ClassError(f"class {code} has {MAX_ANSWERS:,} answers, its limit", code="full", limit=MAX_ANSWERS)
            con.execute("INSERT INTO answers VALUES (?, ?, ?, ?, ?) ON CONFLICT (code, question, student) "
                        "DO UPDATE SET choice = excluded.choice, at = excluded.at",
                        (code, question, student, choice, time.time()))
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise


def tally(code: str, question: str, n_choices: int, path: Path | None = None) -> list[int]:
    """How many students chose each of the n_choices choices."""
    code, question = check_code(code), _check_id("question", question)
    counts = [0] * n_choices
    with closing(_connect(path)) as con:
        _known(con, code)
        for choice, n in con.execute("SELECT choice, COUNT(*) FROM answers WHERE code = ? AND question = ? "
                                     "GROUP BY choice", (code, question)):
            if 0 <= choice < n_choices:
                counts[choice] = n
    return counts


def my_answer(code: str, question: str, student: str, path: Path | None = None) -> int | None:
    with closing(_connect(path)) as con:
        row = con.execute("SELECT choice FROM answers WHERE code = ? AND question = ? AND student = ?",
                          (check_code(code), question, student)).fetchone()
    return None if row is None else int(row[0])


def reveal(code: str, question: str, path: Path | None = None) -> None:
    code, question = check_code(code), _check_id("question", question)
    with closing(_connect(path)) as con:
        _known(con, code)
        con.execute("INSERT OR IGNORE INTO reveals VALUES (?, ?)", (code, question))


def revealed(code: str, question: str, path: Path | None = None) -> bool:
    with closing(_connect(path)) as con:
        return con.execute("SELECT 1 FROM reveals WHERE code = ? AND question = ?",
                           (check_code(code), question)).fetchone() is not None
