"""Cross and isolated margin on top of the venue: wallets, loans, interest, risk and liquidation."""

from .desk import SIDE_EFFECTS, AssetRow, MarginDesk, MarginPlacement, WalletView
from .liquidation import Liquidator, MarginKeeper
from .records import InterestRecord, LiquidationRecord, LoanRecord, MarginCall, TransferRecord
from .wallets import CROSS_MARGIN, SPOT, WalletRef

__all__ = [
    "AssetRow", "CROSS_MARGIN", "InterestRecord", "LiquidationRecord", "Liquidator", "LoanRecord", "MarginCall",
    "MarginDesk", "MarginKeeper", "MarginPlacement", "SIDE_EFFECTS", "SPOT", "TransferRecord", "WalletRef",
    "WalletView",
]
