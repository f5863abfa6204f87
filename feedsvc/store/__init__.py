"""Article stores: each kind reads articles from one place behind the same interface."""
