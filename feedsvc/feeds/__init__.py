"""From articles to checked feed bytes: select, render, validate."""
