"""Query parameters as one model, with unknown parameters refused.

A filter a client misspells (`?categroy=...`) would otherwise be dropped silently and the answer would look
like a filtered one. A route that takes `query: Annotated[SomeQuery, Query()]` with a StrictQuery model
answers 422 validation_error (`extra_forbidden`, naming the parameter) instead.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
