from __future__ import annotations

from fastapi import APIRouter, Depends, Path

from depositdesk.entrypoints.api.deps import Call, get_call
from depositdesk.entrypoints.api.schemas.policies import PolicyPageOut, PolicyVersionsOut
from depositdesk.entrypoints.api.schemas.problems import problem_responses
from depositdesk.entrypoints.api.schemas.requests import PACK_PATTERN
from depositdesk.entrypoints.api.strict_json import StrictJsonRoute
from depositdesk.services import policies
from depositdesk.services.usecase import read

router = APIRouter(
    prefix="/v1/policies",
    tags=["policies"],
    route_class=StrictJsonRoute,
    responses=problem_responses(401, 404, 422, 500),
)


@router.get("", summary="Packs in force (POL-1)")
def list_policies(c: Call = Depends(get_call)) -> PolicyPageOut:
    return PolicyPageOut.of(read(c.app, policies.packs_in_force, c.who, c.now))


@router.get("/{pack}", summary="One pack in force, with its versions")
def get_policy(
    pack: str = Path(pattern=PACK_PATTERN, description="a policy pack name"),
    c: Call = Depends(get_call),
) -> PolicyVersionsOut:
    return PolicyVersionsOut.of_versions(read(c.app, policies.pack_in_force, c.who, c.now, pack))
