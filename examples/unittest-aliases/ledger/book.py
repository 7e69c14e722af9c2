"""Accounts, entries and balances."""

import re
from dataclasses import dataclass, field

ACCOUNT = re.compile(r"^[a-z]+(:[a-z]+)*$")


@dataclass(frozen=True)
class Entry:
    debit: str
    credit: str
    cents: int
    memo: str = ""


@dataclass
class Book:
    entries: list = field(default_factory=list)

    def post(self, debit, credit, cents, memo=""):
        for account in (debit, credit):
            if not ACCOUNT.match(account):
                raise ValueError(f"bad account name: {account!r}")
        if cents <= 0:
            raise ValueError(f"amount must be positive, got {cents}")
        entry = Entry(debit, credit, cents, memo)
        self.entries.append(entry)
        return entry

    def balance(self, account):
        total = 0
        for e in self.entries:
            if e.debit == account:
                total += e.cents
            if e.credit == account:
                total -= e.cents
        return total

    def is_balanced(self):
        return sum(self.balance(a) for a in self.accounts()) == 0

    def accounts(self):
        seen = []
        for e in self.entries:
            for a in (e.debit, e.credit):
                if a not in seen:
                    seen.append(a)
        return seen

    def statement(self, account):
        lines = [f"{account}"]
        for e in self.entries:
            if account in (e.debit, e.credit):
                sign = "+" if e.debit == account else "-"
                lines.append(f"  {sign}{e.cents / 100:.2f} {e.memo}".rstrip())
        lines.append(f"  = {self.balance(account) / 100:.2f}")
        return "\n".join(lines)
