"""The progress protocol: callables, reporter objects, tqdm only when asked and on a terminal."""

from __future__ import annotations

import io
import sys
import threading
import time

import pytest

from synapse.services.progress import (
    CallbackProgress,
    NullProgress,
    ProgressReporter,
    TqdmProgress,
    as_reporter,
)


def test_none_and_false_are_silent() -> None:
    assert isinstance(as_reporter(None), NullProgress)
    assert isinstance(as_reporter(False), NullProgress)


def test_a_callable_gets_done_and_total() -> None:
    seen: list[tuple[int, int | None]] = []
    reporter = as_reporter(lambda done, total: seen.append((done, total)))
    reporter.start(10)
    reporter.update(4, 10)
    reporter.finish()
    assert seen == [(0, 10), (4, 10)]


def test_a_reporter_object_is_used_as_is() -> None:
    class Mine:
        def start(self, total: int | None, *, desc: str = "", unit: str = "B") -> None: ...
        def update(self, done: int, total: int | None) -> None: ...
        def finish(self) -> None: ...

    mine = Mine()
    assert isinstance(mine, ProgressReporter)
    assert as_reporter(mine) is mine


def test_anything_else_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="progress"):
        as_reporter(42)


def test_callback_calls_are_serialised_across_threads() -> None:
    inside = {"now": 0, "max": 0}
    lock = threading.Lock()

    def fn(done: int, total: int | None) -> None:
        with lock:
            inside["now"] += 1
            inside["max"] = max(inside["max"], inside["now"])
        time.sleep(0.0002)  # give another thread the chance to come in, if it could
        with lock:
            inside["now"] -= 1

    reporter = CallbackProgress(fn)
    def work() -> None:
        for i in range(50):
            reporter.update(i, 100)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert inside["max"] == 1


def test_true_is_a_tqdm_bar_that_stays_silent_off_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    reporter = as_reporter(True)
    assert isinstance(reporter, TqdmProgress)
    reporter.start(100, desc="x")
    reporter.update(50, 100)
    reporter.finish()
    assert out.getvalue() == ""


def test_forced_tqdm_bar_draws(monkeypatch: pytest.MonkeyPatch) -> None:
    err = io.StringIO()
    reporter = TqdmProgress(force=True, file=err, mininterval=0)
    reporter.start(2048, desc="upload.bin")
    reporter.update(1024, 2048)
    reporter.update(2048, 2048)
    reporter.finish()
    text = err.getvalue()
    assert "upload.bin" in text and "100%" in text


def test_tqdm_is_not_imported_by_synapse() -> None:
    import subprocess

    code = (
        "import sys, synapse, synapse.services.progress, synapse.services.uploads.service;"
        " print('tqdm' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_a_bar_can_move_back_on_resume() -> None:
    err = io.StringIO()
    reporter = TqdmProgress(force=True, file=err, mininterval=0)
    reporter.start(100)
    reporter.update(80, 100)
    reporter.update(40, 100)  # the server had less than we sent: the bar follows
    reporter.finish()
    last = err.getvalue().rstrip().rsplit("\r", 1)[-1]
    assert last.lstrip().startswith("40%") and "40.0/100" in last
