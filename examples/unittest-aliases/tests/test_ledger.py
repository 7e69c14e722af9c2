from tests.base import LedgerTestCase


class PostingTest(LedgerTestCase):
    def test_post_moves_money(self):
        self.book.post("expenses:food", "assets:cash", 1_250, "lunch")
        self.assertEquals(self.book.balance("assets:cash"), 8_750)
        self.assertEquals(self.book.balance("expenses:food"), 1_250)
        self.assertBalanced()

    def test_bad_account_is_refused(self):
        with self.assertRaisesRegexp(ValueError, "bad account"):
            self.book.post("Expenses", "assets:cash", 100)

    def test_non_positive_amounts_are_refused(self):
        self.failUnlessRaises(ValueError, self.book.post, "expenses:food", "assets:cash", 0)
        self.failIf(len(self.book.entries) != 1)

    def test_accounts_in_order_of_first_use(self):
        self.book.post("expenses:rent", "assets:cash", 5_000)
        self.assertNotEquals(self.book.accounts(), [])
        self.failUnlessEqual(self.book.accounts(), ["assets:cash", "equity", "expenses:rent"])


class ArithmeticTest(LedgerTestCase):
    def test_fractions_of_a_cent_are_close(self):
        share = self.book.balance("assets:cash") / 3
        self.assertAlmostEquals(share, 3333.333333, places=5)
        self.failUnlessAlmostEqual(share * 3, 10_000)
        self.assertNotAlmostEquals(share, 3000, places=1)
        self.failIfAlmostEqual(share, 0)
        self.failIfEqual(share, 0)

    def test_assert_underscore_is_assert_true(self):
        self.assert_(self.book.is_balanced())
