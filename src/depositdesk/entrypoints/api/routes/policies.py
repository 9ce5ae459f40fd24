from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from depositdesk.entrypoints.api.deps import Call, get_call
from depositdesk.services import policies
from depositdesk.services.usecase import read

router = APIRouter(prefix="/v1/policies", tags=["policies"])


@router.get("", summary="Packs in force (POL-1)")
def list_policies(c: Call = Depends(get_call)) -> dict[str, Any]:
    return read(c.app, policies.packs_in_force, c.now)


@router.get("/{pack}", summary="One pack in force, with its versions")
def get_policy(pack: str, c: Call = Depends(get_call)) -> dict[str, Any]:
    return read(c.app, policies.pack_in_force, pack, c.now)
