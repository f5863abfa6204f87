"""Publish targets: each puts built files somewhere readers can fetch them."""
