"""sandex client: the ExCcxt-shaped private API over ccxt, for the simulator, testnet or live."""
