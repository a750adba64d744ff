"""Placeholder: the `batch` command is being built (see the open issue)."""
