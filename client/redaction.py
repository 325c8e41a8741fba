"""Keeps credentials out of ccxt's logs: ccxt logs every request's headers (the API key among them)
at DEBUG; this filter rewrites any record carrying a registered key or secret before it is emitted."""

from __future__ import annotations

import logging
import threading

CCXT_LOGGER = "ccxt.base.exchange"  # sync and async ccxt instances both log here


class SecretFilter(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._masks: dict[str, str] = {}  # secret text -> what is shown instead

    def register(self, fields: dict[str, str]) -> None:
        with self._lock:
            for name, value in fields.items():
                if value:
                    self._masks[value] = f"{value[:4]}…" if name == "apiKey" and len(value) > 8 else "***"

    def filter(self, record: logging.LogRecord) -> bool:
        masks = self._masks
        if not masks:
            return True
        text = record.getMessage()
        hidden = text
        for value, shown in sorted(masks.items(), key=lambda kv: -len(kv[0])):
            if value in hidden:
                hidden = hidden.replace(value, shown)
        if hidden != text:
            record.msg, record.args = hidden, None
        return True


SECRETS = SecretFilter()
logging.getLogger(CCXT_LOGGER).addFilter(SECRETS)
