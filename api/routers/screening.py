"""Screening: apply the criteria to incident facts without opening a case."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from api.access import Access
from api.permissions import Caller
from domain.criteria import Assessment, IncidentFacts, assess

router = APIRouter(prefix="/api/v1/screening", tags=["screening"])


@router.post("", response_model=Assessment)
async def screen_incident(
    body: IncidentFacts, caller: Annotated[Caller, Depends(Access("screening.check"))]
) -> Assessment:
    """Whether the incident is notifiable and whether an SCR must be initiated, with the grounds and their
    sources. Nothing is recorded and no case is opened; any authenticated role may ask."""
    return assess(body)
