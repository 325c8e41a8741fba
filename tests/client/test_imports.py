"""A client aimed at a URL, the testnet or live loads no simulator: no FastAPI, uvicorn or numba
(so nothing is compiled) and no module of ``simulator`` or ``engine``. Checked in a fresh
interpreter, since this test process has long imported all of them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("fastapi", "uvicorn", "numba", "simulator", "engine", "starlette")

USER_PROGRAM = """
import json
import sys

import ccxt

import client
from client import connections

url = client.Credential.new(name="binance", apiKey="key-of-a-server", secret="its-secret",
                            target="http://127.0.0.1:9")  # nothing listens on the discard port
try:
    client.fetch_time(url)
except ccxt.NetworkError:
    pass  # refused: the call went all the way through ccxt to the socket
for target in ("testnet", "live"):
    connections.sync_exchange(client.Credential.new(name="binance", apiKey="k", secret="s", target=target))
heavy = sorted({name.split(".")[0] for name in sys.modules} & set(json.loads(sys.argv[1])))
print(json.dumps(heavy))
"""


def test_a_url_testnet_or_live_client_loads_no_simulator() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANDEX_") and "proxy" not in k.lower()}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-c", USER_PROGRAM, json.dumps(HEAVY)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
