"""Binance's REST API (and sandex's admin API) over the venue, on FastAPI/uvicorn."""
