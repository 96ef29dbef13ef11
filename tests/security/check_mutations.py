"""Remove each protection once and check that the security suite notices.

    .venv/bin/python tests/security/check_mutations.py [name ...]

Exports the committed tree (`git archive HEAD`) to a temporary directory, and for each
protection below replaces the code that implements it with a no-op, runs the tests that
cover it there, and reports CAUGHT (a test failed) or MISSED. Exits 1 if anything was missed.
Not collected by pytest (it takes about a minute and needs git).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

MUTATIONS = [
    (
        "origin check",
        "chanx/core/limits.py",
        "    if ok:\n        return True\n",
        "    if True:\n        return True\n",
        "tests/security/test_handshake.py",
        "foreign_origin",
    ),
    (
        "missing-origin rule",
        "chanx/core/limits.py",
        'return not bool(getattr(factory, "uses_cookies", False))',
        "return True",
        "tests/security/test_handshake.py",
        "missing_origin",
    ),
    (
        "frame size",
        "chanx/core/limits.py",
        "        limit = self.max_frame_bytes\n",
        "        return False\n",
        "tests/security/test_hostile_frames.py",
        "oversize",
    ),
    (
        "message rate",
        "chanx/core/asgi.py",
        "elif bucket is not None and not bucket.take():",
        "elif False:",
        "tests/security/test_hostile_frames.py",
        "message_rate",
    ),
    (
        "pending frames",
        "chanx/core/asgi.py",
        "        if frames.full:  # stop reading: the server pauses the socket, TCP slows the "
        "client\n            await frames.wait_for_room()\n",
        "",
        "tests/core/test_runtime.py",
        "backlog",
    ),
    (
        "auth timeout",
        "chanx/core/asgi.py",
        "async with asyncio.timeout(limits.auth_timeout):",
        "async with asyncio.timeout(None):",
        "tests/security/test_handshake.py",
        "authentication_timeout",
    ),
    (
        "per-user cap",
        "chanx/core/limits.py",
        "    if count >= limit:\n        return False\n",
        "",
        "tests/security/test_handshake.py",
        "per_user",
    ),
    (
        "slow-consumer watchdog",
        "chanx/core/watchdog.py",
        "                        _abort_slow(connection, now - since)",
        "                        pass",
        "tests/security/test_slow_clients.py",
        "never_reads",
    ),
    (
        "log redaction",
        "chanx/core/limits.py",
        "        install_server_log_redaction()",
        "        pass",
        "tests/security/test_handshake.py",
        "tokens_never",
    ),
    (
        "reason clipping",
        "chanx/core/close_codes.py",
        "    if len(reason) <= MAX_REASON_BYTES // 4:",
        "    if True:",
        "tests/security/test_settings_and_codes.py",
        "clip",
    ),
    (
        "error location redaction",
        "chanx/core/safelog.py",
        'return [step if isinstance(step, int) or step in names else "*" for step in loc]',
        "return list(loc)",
        "tests/security/test_decoder_properties.py",
        "",
    ),
    (
        "shutdown grace",
        "chanx/fast_channels/lifespan.py",
        "            await frames.finish(max(0.0, deadline - time.monotonic()))",
        "            pass",
        "tests/security/test_slow_clients.py",
        "shutdown_lets",
    ),
    (
        "grace on uvicorn's 1012",
        "chanx/core/asgi.py",
        "                await frames.finish(limits.shutdown_grace)",
        "                pass",
        "tests/security/test_slow_clients.py",
        "uvicorn_shutdown",
    ),
    (
        "slow-reader socket release",
        "chanx/core/watchdog.py",
        "        release(connection)  # the server would wait for the unread bytes to drain, "
        "forever\n",
        "",
        "tests/ops/test_slow_readers.py",
        "uvicorn and sansio",
    ),
    (
        "daphne send gate",
        "chanx/core/watchdog.py",
        "    watch_buffer(connection)\n",
        "",
        "tests/ops/test_slow_readers.py",
        "daphne",
    ),
    (
        "shutdown release of blocked sends",
        "chanx/core/watchdog.py",
        "                        self._check_closing(connection, now, grace)",
        "                        pass",
        "tests/ops/test_shutdown.py",
        "websockets and not sansio and whatever",
    ),
    (
        "shutdown release of full backlogs",
        "chanx/core/watchdog.py",
        "                    elif connection.frames is not None and connection.frames.full:",
        "                    elif False:",
        "tests/ops/test_shutdown.py",
        "whatever and sansio",
    ),
    (
        "malformed origin hosts",
        "chanx/core/origin.py",
        "    if not _valid_host(host):\n        return None\n",
        "",
        "tests/security/test_origin.py",
        "wildcard_entry_admits_no_malformed",
    ),
    (
        "visible errors",
        "chanx/core/limits.py",
        "    ensure_visible()\n",
        "",
        "tests/ops/test_logging.py",
        "plain_uvicorn and sansio",
    ),
    (
        "daphne close codes",
        "chanx/core/close_codes.py",
        "        return 4000 + code - 1000",
        "        return code",
        "tests/security/test_daphne.py",
        "oversize",
    ),
]


def main(only: list[str]) -> int:
    missed = 0
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(
            ["git", "archive", "HEAD"], cwd=ROOT, capture_output=True, check=True
        )
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        for name, path, old, new, tests, keyword in MUTATIONS:
            if only and name not in only:
                continue
            target = Path(tmp) / path
            source = target.read_text()
            if source.count(old) != 1:
                print(f"STALE   {name}: the code to remove is not in {path} any more")
                missed += 1
                continue
            target.write_text(source.replace(old, new))
            try:
                command = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider"]
                command += ["--timeout", "60", tests] + (["-k", keyword] if keyword else [])
                result = subprocess.run(command, cwd=tmp, capture_output=True, text=True)
                lines = result.stdout.strip().splitlines()
                caught = result.returncode != 0
                missed += not caught
                print(f"{'CAUGHT' if caught else 'MISSED'}  {name}: {lines[-1] if lines else ''}")
            finally:
                target.write_text(source)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
