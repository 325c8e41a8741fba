"""``Transfer``: free balance moves between accounts, every leg or none; nothing is made or lost."""

from __future__ import annotations

from engine import BalanceChanged, CommandRejected, Leg, RejectReason, Transfer

from .exchange_fixtures import funded_engine

A = "AAA"


def test_a_two_leg_swap_moves_both_ways_and_conserves_supply() -> None:
    e = funded_engine(3)
    supply = {a.code: e.total_supply(a.code) for a in e.assets()}
    before1, before2 = e.balances(1), e.balances(2)
    events = e.apply(Transfer((Leg(1, 2, "AAA", 10), Leg(2, 1, "BBB", 700))))
    assert [type(ev) for ev in events] == [BalanceChanged] * 4
    assert e.balance(1, "AAA").free == before1["AAA"].free - 10 and e.balance(2, "AAA").free == before2["AAA"].free + 10
    assert e.balance(1, "BBB").free == before1["BBB"].free + 700
    assert e.balance(2, "BBB").free == before2["BBB"].free - 700
    assert {a.code: e.total_supply(a.code) for a in e.assets()} == supply
    e.check_invariants()


def test_a_new_receiving_account_is_opened() -> None:
    e = funded_engine(2)
    e.apply(Transfer((Leg(1, 9, A, 5),)))
    assert e.balance(9, A).free == 5 and 9 in e.accounts()
    e.check_invariants()


def test_any_bad_leg_refuses_the_whole_transfer_and_changes_nothing() -> None:
    e = funded_engine(3)
    free = e.balance(1, A).free
    cases = [
        ((), RejectReason.INVALID_AMOUNT),
        ((Leg(1, 2, A, 1), Leg(2, 1, A, 0)), RejectReason.INVALID_AMOUNT),
        ((Leg(1, 2, A, 1), Leg(7, 1, A, 1)), RejectReason.UNKNOWN_ACCOUNT),  # a sender that does not exist
        ((Leg(1, 0, A, 1),), RejectReason.UNKNOWN_ACCOUNT),
        ((Leg(1, 2, "NOPE", 1),), RejectReason.UNKNOWN_ASSET),
        ((Leg(1, 2, A, free), Leg(1, 3, A, 1)), RejectReason.INSUFFICIENT_BALANCE),  # legs add up per sender
    ]
    for legs, reason in cases:
        before = e.fingerprint()
        assert e.apply(Transfer(legs)) == [CommandRejected(reason)], legs
        assert e.fingerprint() == before
