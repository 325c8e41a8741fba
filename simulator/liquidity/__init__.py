"""Liquidity sources: each trades through the venue like any other account."""
