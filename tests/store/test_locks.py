"""The locks that let several server processes share one SQLite file (``monitorx serve --workers N``)."""

from __future__ import annotations

import multiprocessing as mp
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import text

from monitorx.services.alerting.leader import Leadership
from monitorx.store.database import Database


def _open(path: Path) -> Database:
    db = Database.from_url(f"sqlite:///{path}")
    with db.write() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS log (who TEXT, step INTEGER)"))
    return db


def _hold_exclusive(path: str, key: int, held: object, go: object) -> None:
    db = Database.from_url(f"sqlite:///{path}")
    with db.exclusive(key) as ours:
        assert ours
        held.set()  # type: ignore[attr-defined]
        go.wait(30)  # type: ignore[attr-defined]
    db.dispose()


def _holder(path: Path, key: int) -> tuple[Any, Any]:
    """A child process that holds ``exclusive(key)`` until told to go (or is killed)."""
    ctx = mp.get_context("spawn")
    held, go = ctx.Event(), ctx.Event()
    child = ctx.Process(target=_hold_exclusive, args=(str(path), key, held, go))
    child.start()
    assert held.wait(30)
    return child, go


def test_once_only_work_runs_in_one_process_at_a_time(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    db = _open(path)
    child, go = _holder(path, 0x77)
    try:
        with db.exclusive(0x77) as ours:
            assert not ours  # the other process has it
        with db.exclusive(0x78) as ours:
            assert ours  # another key is free
    finally:
        go.set()
        child.join(30)
    assert child.exitcode == 0
    with db.exclusive(0x77) as ours:
        assert ours  # freed when the holder let go
    db.dispose()


def test_a_dead_holders_lock_is_freed(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    db = _open(path)
    child, _ = _holder(path, 0x79)
    child.kill()
    child.join(30)
    with db.exclusive(0x79) as ours:
        assert ours
    db.dispose()


def test_one_of_two_handles_leads_alerting_and_the_other_takes_over(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    a, b = _open(path), _open(path)  # each handle opens its own lock files, as two processes do
    first, second = Leadership(a), Leadership(b)
    assert first.acquire() and first.held
    assert first.acquire()  # keeps it
    assert not second.acquire() and not second.held
    first.release()
    assert second.acquire()
    assert not first.acquire()
    second.release()
    a.dispose()
    b.dispose()


def test_writers_of_two_handles_take_turns(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    a, b = _open(path), _open(path)
    inside, done = threading.Event(), threading.Event()
    order: list[str] = []

    def second_writer() -> None:
        inside.wait(30)
        with b.write() as conn:  # waits for a's transaction, instead of failing with "database is locked"
            order.append("b")
            conn.execute(text("INSERT INTO log VALUES ('b', 2)"))
        done.set()

    t = threading.Thread(target=second_writer)
    t.start()
    with a.write() as conn:
        conn.execute(text("INSERT INTO log VALUES ('a', 1)"))
        inside.set()
        assert not done.wait(0.3)  # b cannot start while a holds the writer's lock
        order.append("a")
    t.join(30)
    assert order == ["a", "b"]
    with a.read() as conn:
        assert conn.execute(text("SELECT who FROM log ORDER BY step")).scalars().all() == ["a", "b"]
    a.dispose()
    b.dispose()


def test_a_failed_write_rolls_back_and_frees_the_lock(tmp_path: Path) -> None:
    db = _open(tmp_path / "m.db")
    try:
        with db.write() as conn:
            conn.execute(text("INSERT INTO log VALUES ('x', 1)"))
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    with db.write() as conn:
        conn.execute(text("INSERT INTO log VALUES ('y', 2)"))
    with db.read() as conn:
        assert conn.execute(text("SELECT who FROM log")).scalars().all() == ["y"]
    db.dispose()


def test_in_memory_databases_need_no_lock_files() -> None:
    db = Database.from_url("sqlite://")
    assert db.locks.dir is None
    with db.exclusive(1) as ours, db.write():
        assert ours
    db.dispose()
