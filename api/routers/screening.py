"""Screening: apply the criteria to incident facts without opening a case."""

from __future__ import annotations

from fastapi import APIRouter

from api.context import Context
from api.permissions import CurrentCaller, authorize
from domain.criteria import Assessment, IncidentFacts, assess

router = APIRouter(prefix="/api/v1/screening", tags=["screening"])


@router.post("", response_model=Assessment)
async def screen_incident(body: IncidentFacts, caller: CurrentCaller, context: Context) -> Assessment:
    """Whether the incident is notifiable and whether an SCR must be initiated, with the grounds and their
    sources. Nothing is recorded and no case is opened; any authenticated role may ask."""
    await authorize(context, caller, "screening.check")
    return assess(body)
