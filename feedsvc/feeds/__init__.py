"""From articles to checked feed bytes: which feeds, what to redo, rendered and checked."""
