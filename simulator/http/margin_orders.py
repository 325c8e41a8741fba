"""Binance margin orders (``/sapi/v1/margin/order`` and its queries), cross or isolated."""

from __future__ import annotations

from .endpoint import Endpoint

ENDPOINTS: list[Endpoint] = []
