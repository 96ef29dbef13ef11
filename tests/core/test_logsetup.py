"""`chanx.core.logsetup`: the stderr fallback writes a record only when no one else takes it."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator

import pytest

from chanx.core import logsetup


class Stderr:
    """What the fallback wrote, once `bare()` ran."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch
        self.captured = io.StringIO()

    def bare(self) -> None:
        """From here on: stderr captured, and a root logger without handlers.

        pytest swaps `sys.stderr` and attaches its log capture handlers to the root logger
        when a test's call phase starts, after the fixtures ran; hence a call in the body.
        """
        self.monkeypatch.setattr(sys, "stderr", self.captured)
        logging.root.handlers = []

    def getvalue(self) -> str:
        return self.captured.getvalue()


@pytest.fixture
def stderr(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stderr]:
    """A fresh fallback; the test calls `stderr.bare()` first."""
    for name in ("chanx", "chanx.consumer", "chanx.security"):
        logger = logging.getLogger(name)  # as a fresh process has them
        kept = [h for h in logger.handlers if type(h) is logging.NullHandler]
        monkeypatch.setattr(logger, "handlers", kept)
        monkeypatch.setattr(logger, "disabled", False)
        monkeypatch.setattr(logger, "propagate", True)
        monkeypatch.setattr(logger, "level", logging.NOTSET)
    monkeypatch.setattr(logging.root, "level", logging.WARNING)
    logging.root.manager._clear_cache()
    monkeypatch.setattr(logsetup, "_fallback", None)
    monkeypatch.setattr(logsetup, "_removed", False)
    saved = logging.root.handlers
    yield Stderr(monkeypatch)
    logging.root.handlers = saved
    logsetup.remove_fallback()


def test_without_any_handler_warnings_and_errors_reach_stderr_once(stderr: Stderr) -> None:
    stderr.bare()
    logsetup.ensure_visible()
    logsetup.ensure_visible()  # idempotent: one handler
    logging.getLogger("chanx.consumer").error("handler failed")
    logging.getLogger("chanx.security").warning("refused")
    logging.getLogger("chanx.consumer").info("not shown")
    assert stderr.getvalue() == (
        "ERROR     chanx.consumer: handler failed\nWARNING   chanx.security: refused\n"
    )


def test_a_root_handler_configured_even_later_takes_over(stderr: Stderr) -> None:
    stderr.bare()
    logsetup.ensure_visible()
    own = io.StringIO()
    logging.root.addHandler(logging.StreamHandler(own))
    logging.getLogger("chanx.consumer").error("handler failed")
    assert stderr.getvalue() == ""
    assert own.getvalue() == "handler failed\n"


def test_a_handler_on_one_chanx_logger_takes_over_only_its_records(stderr: Stderr) -> None:
    stderr.bare()
    logsetup.ensure_visible()
    own = io.StringIO()
    logging.getLogger("chanx.security").addHandler(logging.StreamHandler(own))
    logging.getLogger("chanx.security").warning("refused")
    logging.getLogger("chanx.consumer").error("handler failed")
    assert own.getvalue() == "refused\n"
    assert stderr.getvalue() == "ERROR     chanx.consumer: handler failed\n"


def test_a_logger_that_does_not_propagate_keeps_the_fallback(
    stderr: Stderr, monkeypatch: pytest.MonkeyPatch
) -> None:
    stderr.bare()
    logging.root.addHandler(logging.StreamHandler(io.StringIO()))
    monkeypatch.setattr(logging.getLogger("chanx"), "propagate", False)
    logsetup.ensure_visible()
    logging.getLogger("chanx.consumer").error("handler failed")
    assert stderr.getvalue() == "ERROR     chanx.consumer: handler failed\n"


def test_remove_fallback_silences_chanx_for_good(stderr: Stderr) -> None:
    stderr.bare()
    logsetup.ensure_visible()
    logsetup.remove_fallback()
    logsetup.ensure_visible()
    assert logsetup.fallback_handler() is None
    logging.getLogger("chanx.consumer").error("handler failed")
    assert stderr.getvalue() == ""
