"""Placeholder: the `schema` command is being built (see the open issue)."""
