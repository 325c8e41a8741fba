"""The engine's loans: borrow, repay, hourly interest and write-offs, against the ledger.

Kept apart from the order path: nothing here is compiled or hot. Every handler checks first and
changes second, so a rejected command changes nothing (see ``margin`` for the interest rule).
"""

from __future__ import annotations

from .commands import Borrow, ChargeInterest, Repay, SetInterestRate, WriteOff
from .errors import InvariantViolation, RejectReason
from .events import (
    BalanceChanged,
    Borrowed,
    CommandRejected,
    DebtWrittenOff,
    Event,
    InterestCharged,
    InterestRateChanged,
    Repaid,
)
from .ledger import MAX_ACCOUNT_ID, Ledger
from .margin import HOUR_MS, Loan, hourly_interest, valid_daily_rate
from .units import INT64_SAFE


class Lending:
    """Open loans by (account, asset), and each asset's daily interest rate."""

    __slots__ = ("ledger", "loans", "rates")

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.loans: dict[tuple[int, str], Loan] = {}
        self.rates: dict[str, int] = {}  # asset -> daily rate over RATE_DENOM (unlisted: 0)

    # ---- commands ----------------------------------------------------------------------------

    def set_rate(self, c: SetInterestRate) -> list[Event]:
        if c.asset not in self.ledger.assets:
            return [CommandRejected(RejectReason.UNKNOWN_ASSET)]
        if not valid_daily_rate(c.daily_rate):
            return [CommandRejected(RejectReason.INVALID_RATE)]
        self.rates[c.asset] = c.daily_rate
        return [InterestRateChanged(c.asset, c.daily_rate)]

    def borrow(self, c: Borrow) -> list[Event]:
        led = self.ledger
        asset = led.assets.get(c.asset)
        if asset is None:
            return [CommandRejected(RejectReason.UNKNOWN_ASSET)]
        if not (led.is_live(c.pool) and 0 < c.account <= MAX_ACCOUNT_ID) or c.account == c.pool:
            return [CommandRejected(RejectReason.UNKNOWN_ACCOUNT)]
        loan = self.loans.get((c.account, c.asset))
        if loan is not None and loan.pool != c.pool:
            return [CommandRejected(RejectReason.UNKNOWN_ACCOUNT)]
        if not 0 < c.amount < INT64_SAFE or (loan is not None and loan.liability + 2 * c.amount >= INT64_SAFE):
            return [CommandRejected(RejectReason.INVALID_AMOUNT)]
        if led.free(c.pool, asset[0]) < c.amount:
            return [CommandRejected(RejectReason.POOL_INSUFFICIENT)]
        events: list[Event] = []
        if loan is None:
            loan = self.loans[(c.account, c.asset)] = Loan(c.account, c.asset, c.pool, 0, 0, c.time // HOUR_MS)
        else:
            self._catch_up(loan, c.time, events)
        led.open_account(c.account)
        events += self._move(c.pool, c.account, asset[0], c.asset, c.amount)
        loan.principal += c.amount
        events.append(Borrowed(c.account, c.asset, c.amount, loan.principal, loan.interest, c.time))
        rate = self.rates.get(c.asset, 0)
        first_hour = hourly_interest(c.amount, rate)  # the new amount's first hour, due now
        loan.interest += first_hour
        events.append(InterestCharged(c.account, c.asset, first_hour, c.amount, loan.interest, rate, c.time, True))
        return events

    def repay(self, c: Repay) -> list[Event]:
        led = self.ledger
        asset = led.assets.get(c.asset)
        if asset is None:
            return [CommandRejected(RejectReason.UNKNOWN_ASSET)]
        loan = self.loans.get((c.account, c.asset))
        if loan is None:
            return [CommandRejected(RejectReason.NO_LOAN)]
        if not 0 < c.amount < INT64_SAFE:
            return [CommandRejected(RejectReason.INVALID_AMOUNT)]
        events: list[Event] = []
        owed = loan.liability + self._due(loan, c.time)
        if c.amount > owed:
            return [CommandRejected(RejectReason.REPAY_EXCEEDS_LIABILITY)]
        if led.free(c.account, asset[0]) < c.amount:
            return [CommandRejected(RejectReason.INSUFFICIENT_BALANCE)]
        self._catch_up(loan, c.time, events)
        interest_paid = min(c.amount, loan.interest)
        principal_paid = c.amount - interest_paid
        loan.interest -= interest_paid
        loan.principal -= principal_paid
        events += self._move(c.account, loan.pool, asset[0], c.asset, c.amount)
        events.append(Repaid(c.account, c.asset, interest_paid, principal_paid, loan.principal, loan.interest, c.time))
        if loan.liability == 0:
            del self.loans[(c.account, c.asset)]
        return events

    def charge(self, c: ChargeInterest) -> list[Event]:
        events: list[Event] = []
        for loan in self.loans.values():
            if c.account is None or loan.account == c.account:
                self._catch_up(loan, c.time, events)
        return events

    def write_off(self, c: WriteOff) -> list[Event]:
        led = self.ledger
        loan = self.loans.get((c.account, c.asset))
        if loan is None:
            return [CommandRejected(RejectReason.NO_LOAN)]
        if not led.is_live(c.payer) or c.payer in (c.account, loan.pool):
            return [CommandRejected(RejectReason.UNKNOWN_ACCOUNT)]
        events: list[Event] = []
        self._catch_up(loan, c.time, events)
        index = led.assets[c.asset][0]
        covered = min(loan.liability, led.free(c.payer, index))
        if covered:
            events += self._move(c.payer, loan.pool, index, c.asset, covered)
        events.append(DebtWrittenOff(c.account, c.asset, loan.principal, loan.interest, covered, c.payer, c.time))
        del self.loans[(c.account, c.asset)]
        return events

    # ---- helpers -----------------------------------------------------------------------------

    def _due(self, loan: Loan, now: int) -> int:
        """Interest for the hours begun by ``now`` and not yet charged."""
        hours = now // HOUR_MS - loan.charged_hour
        return hours * hourly_interest(loan.principal, self.rates.get(loan.asset, 0)) if hours > 0 else 0

    def _catch_up(self, loan: Loan, now: int, events: list[Event]) -> None:
        """Charge each hour begun since the last one charged, an event per hour."""
        rate = self.rates.get(loan.asset, 0)
        per_hour = hourly_interest(loan.principal, rate)
        while loan.charged_hour < now // HOUR_MS:
            loan.charged_hour += 1
            loan.interest += per_hour
            events.append(
                InterestCharged(
                    loan.account,
                    loan.asset,
                    per_hour,
                    loan.principal,
                    loan.interest,
                    rate,
                    loan.charged_hour * HOUR_MS,
                    False,
                )
            )

    def _move(self, source: int, target: int, index: int, code: str, amount: int) -> list[Event]:
        arr, col = self.ledger.array, self.ledger.free_col(index)
        arr[source, col] -= amount
        arr[target, col] += amount
        return [
            BalanceChanged(source, code, -amount, int(arr[source, col])),
            BalanceChanged(target, code, amount, int(arr[target, col])),
        ]

    # ---- checks ------------------------------------------------------------------------------

    def fingerprint_items(self) -> list[tuple[object, ...]]:
        loans = sorted(
            (k, loan.pool, loan.principal, loan.interest, loan.charged_hour) for k, loan in self.loans.items()
        )
        rates = sorted(self.rates.items())
        return [*loans, *rates]

    def check_invariants(self) -> None:
        for (account, asset), loan in self.loans.items():
            if (loan.account, loan.asset) != (account, asset):
                raise InvariantViolation(f"loan filed under ({account}, {asset}) is {loan.account}'s {loan.asset}")
            if loan.principal < 0 or loan.interest < 0 or loan.liability == 0:
                raise InvariantViolation(
                    f"account {account}: {asset} loan has principal {loan.principal}, interest {loan.interest}"
                )
