"""``sandex serve`` as a new user runs it: one terminal starts it, another runs the README's snippet."""

from __future__ import annotations

import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import redirect_stdout
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _readme_snippet(heading: str = "## Trading against `sandex serve` with ccxt") -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split(heading, 1)[1]
    return section.split("```python", 1)[1].split("```", 1)[0]


def test_serve_prints_credentials_answers_the_readme_snippet_and_stops_on_ctrl_c() -> None:
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT), SANDEX_ADMIN_TOKEN="admin-token-for-the-test")
    proc = subprocess.Popen([sys.executable, "-m", "simulator.cli", "serve", "--port", str(port)], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        while not any("Ctrl-C" in line for line in lines):
            line = proc.stdout.readline()
            assert line, "sandex serve exited early:\n" + "".join(lines)
            lines.append(line)
        banner = "".join(lines)
        assert f"http://127.0.0.1:{port}" in banner
        key = re.search(r"API key\s+(\S+)", banner).group(1)
        secret = re.search(r"API secret\s+(\S+)", banner).group(1)
        assert "admin-token-for-the-test" in banner
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v3/ping", timeout=2).read()
                break
            except OSError:
                assert time.monotonic() < deadline, "the server never answered"
                time.sleep(0.2)
        code = (_readme_snippet().replace("<API key>", key).replace("<API secret>", secret)
                .replace("127.0.0.1:8765", f"127.0.0.1:{port}"))
        out = io.StringIO()
        namespace: dict = {}
        with redirect_stdout(out):
            exec(compile(code, "README snippet", "exec"), namespace)
        printed = out.getvalue()
        assert "'free': 100000.0" in printed  # the demo account's USDT
        assert "'status': 'open'" in printed  # the order it placed, before cancelling it
        with redirect_stdout(io.StringIO()) as margin_out:  # the margin round trip, with the same exchange
            exec(compile(_readme_snippet("### A margin round trip"), "README margin snippet", "exec"), namespace)
        assert "'debt': 0.005" in margin_out.getvalue()  # the cross BTC loan, with its first hour
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            rest = proc.communicate(timeout=20)[0]
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0, rest
    assert "Traceback" not in rest
