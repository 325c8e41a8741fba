"""How every benchmark prints its figures: one JSON line (``--json``), or one aligned line each."""

from __future__ import annotations

import json


def show(figures: dict[str, float | int], as_json: bool) -> None:
    if as_json:
        print(json.dumps({key: round(v, 3) if isinstance(v, float) else v for key, v in figures.items()}))
        return
    width = max(map(len, figures), default=0) + 2
    for key, value in figures.items():
        print(f"{key:>{width}}: {value:,.3f}" if isinstance(value, float) else f"{key:>{width}}: {value:,}")
