import unittest

from ledger import Book
from ledger.audit import Auditor


class AuditTest(unittest.TestCase):
    def test_a_balanced_book_passes_the_audit(self):
        book = Book()
        book.post("assets:cash", "equity", 500)
        self.assertTrue(Auditor().audit(book))

    def test_the_auditor_keeps_its_own_vocabulary(self):
        auditor = Auditor()
        # These are the auditor's methods, not unittest's: they must keep their names.
        self.assertFalse(auditor.failUnless(1 == 2, "one is not two"))
        self.assertTrue(auditor.assertEquals("a", "a", "same"))
        self.assertEqual(auditor.findings, ["one is not two"])
