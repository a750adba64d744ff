"""Placeholder: the `timeline` command is being built (see the open issue)."""
