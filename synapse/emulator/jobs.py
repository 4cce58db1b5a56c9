"""The job runner: moves plugin jobs PENDING -> RUNNING -> SUCCEEDED or FAILED on its own.

A job's life is a fixed script spread over ``duration`` seconds of the emulator's clock:
RUNNING at 10%, progress 25/50/75% at 30/50/70% (each with a console line and metrics),
SUCCEEDED at 100%, or FAILED at 50% for a failing action (``fail`` always; others listed in
``fail_actions`` or marked ``"fail": true`` in the release's ``config["actions"]``).

``auto=True`` (default) runs the script in a background thread, and every job request first
catches up with the clock, so what a client reads is exact. ``auto=False`` freezes jobs until
a test calls ``emu.jobs.advance()`` / ``emu.jobs.finish()``: fully deterministic.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable
from typing import Any

from synapse.emulator.clock import Clock, iso
from synapse.emulator.store import Store

__all__ = ["JobRunner"]

# (fraction of the duration at which the step happens, what happens)
_SCRIPT = ((0.1, "start"), (0.3, "progress"), (0.5, "progress"), (0.7, "progress"), (1.0, "succeed"))
_FAIL_AT = 2  # index of the step at which a failing job fails (50%)
_ACTIVE = ("PENDING", "RUNNING")


class JobRunner:
    """Advances jobs through their script.

    Args:
        store: the database.
        clock: the emulator's clock.
        duration: seconds from creation to the terminal state.
        auto: advance on its own (``False``: only through ``advance``/``finish``).
        fail_actions: action names whose jobs fail (``"fail"`` always does).
    """

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        duration: float = 1.0,
        auto: bool = True,
        fail_actions: Iterable[str] = (),
    ) -> None:
        self.store = store
        self.clock = clock
        self.duration = float(duration)
        self.auto = auto
        self.fail_actions = {"fail", *fail_actions}
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- scheduling ------------------------------------------------------------------------
    def schedule(self, db: sqlite3.Connection, seq: int, *, will_fail: bool) -> None:
        """Put a new job (already inserted, PENDING) on its script."""
        due = self.clock.now() + _SCRIPT[0][0] * self.duration
        db.execute(
            "UPDATE jobs SET step = 0, next_due = ?, will_fail = ? WHERE seq = ?", (due, int(will_fail), seq)
        )
        self._wake.set()

    def should_fail(self, action: str | None, release_config: Any) -> bool:
        """Whether a job for this action is scripted to fail."""
        if action in self.fail_actions:
            return True
        actions = release_config.get("actions") if isinstance(release_config, dict) else None
        spec = actions.get(action) if isinstance(actions, dict) and action else None
        return isinstance(spec, dict) and spec.get("fail") is True

    # -- advancing -------------------------------------------------------------------------
    def catch_up(self) -> int:
        """Apply every step that is due by the clock (auto mode only). Returns the steps applied."""
        if not self.auto:
            return 0
        applied = 0
        now = self.clock.now()
        with self.store.read() as db:
            if db.execute("SELECT 1 FROM jobs WHERE next_due <= ? LIMIT 1", (now,)).fetchone() is None:
                return 0
        with self.store.write() as db:
            while True:
                rows = db.execute(
                    "SELECT seq FROM jobs WHERE next_due IS NOT NULL AND next_due <= ? ORDER BY next_due",
                    (now,),
                ).fetchall()
                if not rows:
                    return applied
                for (seq,) in rows:
                    self._step(db, seq)
                    applied += 1

    def advance(self, job_id: str | None = None, steps: int = 1) -> None:
        """Apply the next ``steps`` steps of one job (or of every active job) now."""
        for _ in range(steps):
            with self.store.write() as db:
                for seq in self._active(db, job_id):
                    self._step(db, seq)

    def finish(self, job_id: str | None = None) -> None:
        """Run one job (or every active job) to its terminal state now."""
        with self.store.write() as db:
            for seq in self._active(db, job_id):
                for _ in range(len(_SCRIPT)):
                    if not self._step(db, seq):
                        break

    def _active(self, db: sqlite3.Connection, job_id: str | None) -> list[int]:
        sql = "SELECT seq FROM jobs WHERE status IN ('PENDING', 'RUNNING') AND next_due IS NOT NULL"
        if job_id is None:
            return [r[0] for r in db.execute(sql + " ORDER BY seq")]
        return [r[0] for r in db.execute(sql + " AND id = ?", (job_id,))]

    def _step(self, db: sqlite3.Connection, seq: int) -> bool:
        """Apply a job's next step; ``False`` when it has none left."""
        row = db.execute(
            "SELECT step, next_due, will_fail, action, status FROM jobs WHERE seq = ?", (seq,)
        ).fetchone()
        if row is None or row[1] is None or row[4] not in _ACTIVE:
            if row is not None:
                db.execute("UPDATE jobs SET next_due = NULL WHERE seq = ?", (seq,))
            return False
        step, due, will_fail, action = row[0], row[1], bool(row[2]), row[3] or "run"
        when = iso(min(due, self.clock.now()) if self.auto else self.clock.now())
        kind = _SCRIPT[step][1]
        if will_fail and step == _FAIL_AT:
            kind = "fail"
        total = len(_SCRIPT) - 2  # progress steps
        if kind == "start":
            self._log(db, seq, f"Starting action '{action}'")
            db.execute(
                "UPDATE jobs SET status = 'RUNNING', started = ?, progress_record = ? WHERE seq = ?",
                (when, _progress(0, action, 0, total), seq),
            )
        elif kind == "progress":
            percent = {1: 25, 2: 50, 3: 75}[step]
            self._log(db, seq, f"[{action}] step {step}/{total}: {percent}% done")
            metrics = {"step": step, "loss": round(1.0 / (step + 1), 4)}
            db.execute(
                "UPDATE jobs SET progress_record = ?, metrics_record = ? WHERE seq = ?",
                (_progress(percent, action, step, total), json.dumps(metrics), seq),
            )
        elif kind == "fail":
            error = f"Action '{action}' failed (emulated failure)"
            self._log(db, seq, f"ERROR {error}")
            db.execute(
                "UPDATE jobs SET status = 'FAILED', finished = ?, next_due = NULL, result = ? WHERE seq = ?",
                (when, json.dumps({"error": error}), seq),
            )
            return True
        else:
            self._log(db, seq, f"Action '{action}' finished successfully")
            result = {"status": "ok", "action": action, "output": {"message": f"{action} completed"}}
            db.execute(
                "UPDATE jobs SET status = 'SUCCEEDED', finished = ?, next_due = NULL, result = ?, "
                "progress_record = ? "
                "WHERE seq = ?",
                (when, json.dumps(result), _progress(100, action, total, total), seq),
            )
            return True
        next_due = due + (_SCRIPT[step + 1][0] - _SCRIPT[step][0]) * self.duration
        db.execute("UPDATE jobs SET step = ?, next_due = ? WHERE seq = ?", (step + 1, next_due, seq))
        return True

    @staticmethod
    def _log(db: sqlite3.Connection, seq: int, line: str) -> None:
        db.execute("INSERT INTO job_logs (job, line) VALUES (?, ?)", (seq, line))

    # -- background thread -----------------------------------------------------------------
    def start(self) -> None:
        """Start the background thread (auto mode)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="synapse-emulator-jobs", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the background thread."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.catch_up()
            except Exception:  # the database may be closing under us at shutdown
                if self._stop.is_set():
                    return
            self._wake.wait(0.02)
            self._wake.clear()


def _progress(percent: int, action: str, step: int, total: int) -> str:
    return json.dumps(
        {
            "current_progress": {
                "overall": percent,
                "step": action,
                "current_step": step,
                "total_steps": total,
            },
            "record": {"completed": step, "total": total},
        }
    )
