"""A test strategy that fails on its third candle."""

TIMEFRAME = "1m"


class Strategy:
    def __init__(self, credential, symbol):
        self.candles = 0

    def on_candle(self, candle):
        self.candles += 1
        if self.candles == 3:
            raise RuntimeError("the strategy's own bug")
