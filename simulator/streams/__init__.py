"""Binance's market streams, fed by the venue's event stream: names, the feed, the hub, payloads."""
