"""``sandex serve`` as a new user runs it: one terminal starts it, another runs the README's snippet."""

from __future__ import annotations

import io
import os
from contextlib import redirect_stdout
from pathlib import Path

from tests import serve_process

ROOT = Path(__file__).resolve().parents[2]


def _readme_snippet(heading: str = "## Trading against `sandex serve` with ccxt") -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split(heading, 1)[1]
    return section.split("```python", 1)[1].split("```", 1)[0]


def test_serve_prints_credentials_answers_the_readme_snippet_and_stops_on_ctrl_c() -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT), SANDEX_ADMIN_TOKEN="admin-token-for-the-test")
    serving = serve_process.start(env=env)
    try:
        assert "admin-token-for-the-test" in serving.banner
        code = (
            _readme_snippet()
            .replace("<API key>", serving.key)
            .replace("<API secret>", serving.secret)
            .replace("http://127.0.0.1:8765", serving.url)
        )
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
        rest = serve_process.stop(serving)
    assert serving.proc.returncode == 0, rest
    assert "Traceback" not in rest
