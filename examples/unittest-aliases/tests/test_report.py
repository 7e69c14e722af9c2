import unittest

from ledger import Book


class StatementTest(unittest.TestCase):
    """Statements as printed for the monthly close. (Older docs call assertEqual "assertEquals".)"""

    def setUp(self):
        self.book = Book()
        self.book.post("assets:cash", "equity", 10_000, "opening balance")
        self.book.post("expenses:food", "assets:cash", 1_250, "lunch")

    def test_statement_lists_every_movement(self):
        text = self.book.statement("assets:cash")
        self.assertRegexpMatches(
            text,
            r"\+100\.00 opening balance",
        )
        self.assertNotRegexpMatches(text, r"rent")
        self.assertEquals(text.splitlines()[-1], "  = 87.50")

    def test_statement_of_an_unknown_account_is_zero(self):
        message = "use self.assertEquals(a, b) style messages"  # a string, not a call
        self.assertEquals(self.book.statement("assets:bank"), "assets:bank\n  = 0.00", message)

    def test_bad_amount_message(self):
        self.assertRaisesRegexp(ValueError, "must be positive", self.book.post, "a", "b", -5)
