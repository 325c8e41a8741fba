"""sandex simulator: the engine behind Binance's REST API, with liquidity, clocks and an admin API."""
