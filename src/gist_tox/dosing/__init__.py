"""Imatinib dose recommendation from the dosing rules (``rules/dosing/<name>.yaml``).

:func:`recommend` is called once per visit by :func:`gist_tox.pipeline.evaluate`; the timeline
uses the same call, so a replayed visit gets exactly the recommendation ``grade`` gives.
"""

from gist_tox.dosing.engine import Recommendation, recommend
from gist_tox.dosing.finding import Episode

__all__ = ["Episode", "Recommendation", "recommend"]
