"""An auditor with its own vocabulary, which happens to share two names with unittest's old
aliases. It is not a test case: its `failUnless` and `assertEquals` are its own methods."""


class AuditError(Exception):
    pass


class Auditor:
    def __init__(self):
        self.findings = []

    def failUnless(self, condition, finding):
        """Records `finding` unless `condition` holds; returns whether it held."""
        if not condition:
            self.findings.append(finding)
        return bool(condition)

    def assertEquals(self, left, right, finding):
        return self.failUnless(left == right, finding)

    def audit(self, book):
        self.failUnless(book.is_balanced(), "the book does not balance")
        for account in book.accounts():
            self.assertEquals(account, account.lower(), f"{account} is not lower case")
        return not self.findings
