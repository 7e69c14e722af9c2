"""What every ledger test case shares."""

from unittest import TestCase as BaseCase

from ledger import Book


class LedgerTestCase(BaseCase):
    def setUp(self):
        self.book = Book()
        self.book.post("assets:cash", "equity", 10_000, "opening balance")

    def assertBalanced(self):
        # failUnless reads better here than assertTrue, which is why this was written long ago.
        self.failUnless(self.book.is_balanced(), "the book must balance")
