from __future__ import annotations

from fastapi import APIRouter, Depends

from depositdesk.entrypoints.api.deps import Call, get_call
from depositdesk.entrypoints.api.schemas.policies import PolicyPageOut, PolicyVersionsOut
from depositdesk.services import policies
from depositdesk.services.usecase import read

router = APIRouter(prefix="/v1/policies", tags=["policies"])


@router.get("", summary="Packs in force (POL-1)")
def list_policies(c: Call = Depends(get_call)) -> PolicyPageOut:
    return PolicyPageOut.of(read(c.app, policies.packs_in_force, c.who, c.now))


@router.get("/{pack}", summary="One pack in force, with its versions")
def get_policy(pack: str, c: Call = Depends(get_call)) -> PolicyVersionsOut:
    return PolicyVersionsOut.of_versions(read(c.app, policies.pack_in_force, c.who, c.now, pack))
