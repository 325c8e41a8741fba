"""Binance margin accounts, transfers, loans and their data (``/sapi/v1/margin/...``, ``asset/transfer``)."""

from __future__ import annotations

from .endpoint import Endpoint

ENDPOINTS: list[Endpoint] = []
