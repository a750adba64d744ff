"""The interaction list (``kind: interactions``, ``rules/interactions.yaml``).

Project-maintained: the drugs the imatinib label names as changing its exposure, or whose own
effect it changes, each with its class, synonyms and where it is named.  The classes are closed:
each has one advice rule in the dosing file (``cyp3a4-inducer``, ``cyp3a4-inhibitor``,
``coumarin``, ``levothyroxine``), so an entry of an unknown class would match a name and then
check nothing.  That two names read alike once normalised is refused at load
(:func:`gist_tox.comedications.duplicates`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

INTERACTIONS_FILE = "interactions.yaml"

InteractionClass = Literal[
    "strong_cyp3a4_inducer", "cyp3a4_inhibitor", "coumarin_anticoagulant", "levothyroxine"
]


class _Rule(BaseModel):
    # defer_build: a cached rule set is unpickled without ever building a validation schema.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True, populate_by_name=True)


class Interaction(_Rule):
    """One drug of the list."""

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    class_: InteractionClass = Field(alias="class")
    synonyms: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list
    )
    """Other names a visit may use (matched after the same normalisation as the id)."""
    source: Annotated[str, Field(min_length=1)]
    """Where the label (or, where it was not read, the secondary source) names this drug."""


class InteractionList(_Rule):
    """The co-medications an interaction rule is checked for."""

    kind: Literal["interactions"]
    name: Annotated[str, Field(min_length=1)]
    source: Annotated[str, Field(min_length=1)]
    entries: Annotated[list[Interaction], Field(min_length=1)]
