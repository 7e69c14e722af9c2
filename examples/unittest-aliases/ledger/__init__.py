"""A tiny double-entry ledger."""

from .book import Book, Entry

__all__ = ["Book", "Entry"]
