"""gist-tox: CTCAE grading and imatinib dose recommendations for GIST.

The package root holds only the version, so that importing it costs nothing.
"""

__version__ = "0.1.0"
