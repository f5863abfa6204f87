"""The HTTP front door: feeds for readers, an index page for people, health for operators."""
