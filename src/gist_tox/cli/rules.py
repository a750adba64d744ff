"""Placeholder: the `rules` command is being built (see the open issue)."""
