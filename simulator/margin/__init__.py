"""Cross and isolated margin on top of the venue: wallets, loans, interest, risk and liquidation."""

from .desk import SIDE_EFFECTS, AssetRow, MarginDesk, MarginPlacement, WalletView
from .liquidation import Liquidator, MarginKeeper
from .records import InterestRecord, LiquidationRecord, LoanRecord, MarginCall, TransferRecord
from .wallets import CROSS_MARGIN, SPOT, WalletRef

__all__ = [
    "CROSS_MARGIN",
    "SIDE_EFFECTS",
    "SPOT",
    "AssetRow",
    "InterestRecord",
    "LiquidationRecord",
    "Liquidator",
    "LoanRecord",
    "MarginCall",
    "MarginDesk",
    "MarginKeeper",
    "MarginPlacement",
    "TransferRecord",
    "WalletRef",
    "WalletView",
]
