"""``sandex serve`` in a subprocess, as a user starts it in another terminal: on a free port, its
banner read for the URL and the demo key, stopped with Ctrl-C."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Serving:
    proc: subprocess.Popen
    url: str
    key: str
    secret: str
    banner: str


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(*args: str, env: dict[str, str], timeout_s: float = 60) -> Serving:
    """``sandex serve ARGS --port <free>``, once it prints its banner and answers ``/api/v3/ping``."""
    port = free_port()
    if "--state-dir" not in args:  # a test's server leaves nothing behind
        args = (*args, "--ephemeral")
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulator.cli", "serve", *args, "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines: list[str] = []
        while not any("Ctrl-C" in line for line in lines):
            line = proc.stdout.readline()
            assert line, "sandex serve exited early:\n" + "".join(lines)
            lines.append(line)
        banner = "".join(lines)
        url = f"http://127.0.0.1:{port}"
        assert url in banner, banner
        key = re.search(r"API key\s+(\S+)", banner).group(1)
        secret = re.search(r"API secret\s+(\S+)", banner).group(1)
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/v3/ping", timeout=2).read()
                break
            except OSError:
                assert time.monotonic() < deadline, "sandex serve never answered"
                time.sleep(0.1)
    except BaseException:
        proc.kill()
        proc.communicate()
        raise
    return Serving(proc, url, key, secret, banner)


def stop(serving: Serving) -> str:
    """Ctrl-C, then what it printed after the banner; killed (and an error) if it does not stop."""
    proc = serving.proc
    proc.send_signal(signal.SIGINT)
    try:
        return proc.communicate(timeout=20)[0]
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise AssertionError("sandex serve did not stop on Ctrl-C") from None


def kill(serving: Serving) -> None:
    """kill -9, as a crash would end it; its output pipe is drained and closed."""
    serving.proc.send_signal(signal.SIGKILL)
    serving.proc.communicate(timeout=30)
