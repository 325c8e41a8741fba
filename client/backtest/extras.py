"""The backtest extra: matplotlib (equity.png), plotly (report.html) and tqdm (progress bars) are
installed with ``pip install "sandex[backtest]"``, not with sandex itself, so a server or a plain
client never needs them. They are imported where used, inside ``needs_extra``, which turns their
absence into one message naming the extra."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

PACKAGES = ("matplotlib", "plotly", "tqdm")
INSTALL = 'pip install "sandex[backtest]" (from a checkout: pip install -e ".[backtest]")'


class MissingExtra(ImportError):
    """A report writer or progress bar whose package (the backtest extra) is not installed."""


@contextmanager
def needs_extra(purpose: str, instead: str = "") -> Iterator[None]:
    """Imports inside the block that fail for want of an extra's package raise ``MissingExtra``
    saying what needed it (``purpose``), how to install it and, if given, how to do without."""
    try:
        yield
    except ModuleNotFoundError as e:
        package = (e.name or "").split(".")[0]
        if package not in PACKAGES:
            raise
        without = f", or {instead}" if instead else ""
        raise MissingExtra(
            f"{purpose} needs {package}, part of the backtest extra: {INSTALL}{without}", name=package
        ) from None
