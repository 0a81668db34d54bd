"""The class answers: codes, one answer per student and question, the tally, reveals, bounds, a restart."""
from __future__ import annotations

import importlib
import threading
import time

import pytest

from rnnviz.app import classroom as C


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = tmp_path / "class.sqlite3"
    monkeypatch.setenv("RNNVIZ_CLASS_DB", str(path))
    return path


def test_a_class_counts_one_answer_per_student_and_a_new_answer_replaces_the_old(db):
    code = C.start_class()
    assert len(code) == C.CODE_LEN and set(code) <= set(C.ALPHABET) and C.class_exists(code)
    C.answer(code, "q1", "ann", 0, 3)
    C.answer(code, "q1", "bob", 2, 3)
    C.answer(code, "q1", "ann", 1, 3)                 # ann changes her mind: still one answer
    C.answer(code, "q2", "ann", 2, 3)                 # another question
    assert C.tally(code, "q1", 3) == [0, 1, 1] and C.tally(code, "q2", 3) == [0, 0, 1]
    assert C.my_answer(code, "q1", "ann") == 1 and C.my_answer(code, "q1", "cat") is None
    assert not C.revealed(code, "q1")
    C.reveal(code, "q1")
    assert C.revealed(code, "q1") and not C.revealed(code, "q2")
    assert C.check_code(f" {code[:3].lower()}-{code[3:]} ") == code           # typed on a phone


def test_100_answers_within_a_second_from_100_sessions_are_all_counted_none_twice(db):
    code = C.start_class()
    errors, start = [], threading.Barrier(100)

    def student(i):
        try:
            start.wait()
            C.answer(code, "q", f"s{i}", i % 4, 4)
            C.answer(code, "q", f"s{i}", i % 4, 4)                              # a double click
        except Exception as e:  # noqa: BLE001
            errors.append(e)
    threads = [threading.Thread(target=student, args=(i,)) for i in range(100)]
    t0 = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    print(f"\n100 students x 2 answers in {time.perf_counter() - t0:.2f} s")
    assert not errors
    assert C.tally(code, "q", 4) == [25, 25, 25, 25]


def test_a_restart_keeps_the_answers(db):
    code = C.start_class()
    C.answer(code, "q", "ann", 1, 2)
    C.reveal(code, "q")
    importlib.reload(C)                                                         # a new server process
    assert C.tally(code, "q", 2) == [0, 1] and C.revealed(code, "q")


@pytest.mark.parametrize("bad", ["", "ABC", "ABCDEFG", "ABCDE0", "ABCDEI", 123456, None, "ABC DE!"])
def test_a_malformed_code_is_a_clear_error(db, bad):
    with pytest.raises(C.ClassError) as info:
        C.answer(bad, "q", "ann", 0, 2)
    assert info.value.code == "malformed" and "6 letters and digits" in str(info.value)


def test_a_foreign_code_and_bad_answers_are_clear_errors(db):
    with pytest.raises(C.ClassError) as info:
        C.answer("ABCDEF", "q", "ann", 0, 2)
    assert info.value.code == "unknown" and "no class session ABCDEF" in str(info.value)
    code = C.start_class()
    for choice, n in ((2, 2), (-1, 2), (True, 2), (0, 1), (0, 99)):
        with pytest.raises(C.ClassError, match="choice"):
            C.answer(code, "q", "ann", choice, n)
    with pytest.raises(C.ClassError, match="student id"):
        C.answer(code, "q", "x" * 500, 0, 2)


def test_sizes_are_bounded(db, monkeypatch):
    monkeypatch.setattr(C, "MAX_CLASSES", 3)
    codes = [C.start_class() for _ in range(5)]
    assert [C.class_exists(c) for c in codes] == [False, False, True, True, True]   # the oldest went first
    monkeypatch.setattr(C, "MAX_ANSWERS", 2)
    code = codes[-1]
    C.answer(code, "q", "a", 0, 2)
    C.answer(code, "q", "b", 0, 2)
    C.answer(code, "q", "a", 1, 2)                    # changing an answer is always allowed
    with pytest.raises(C.ClassError, match="limit"):
        C.answer(code, "q", "c", 0, 2)
