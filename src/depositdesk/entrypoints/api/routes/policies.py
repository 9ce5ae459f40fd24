from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends

from depositdesk.bootstrap import App
from depositdesk.entrypoints.api.deps import get_app, get_now, get_principal
from depositdesk.services.access import Principal
from depositdesk.services.policies import PolicyBook, pack_json
from depositdesk.services.usecase import read

router = APIRouter(prefix="/v1/policies", tags=["policies"])


@router.get("", summary="Packs in force (POL-1)")
def list_policies(
    app: App = Depends(get_app),
    now: datetime = Depends(get_now),
    _: Principal = Depends(get_principal),
) -> dict[str, Any]:
    def q(uow: Any) -> dict[str, Any]:
        book = PolicyBook.read(uow)
        return {
            "items": [pack_json(book.in_force(n, now)) for n in book.names()],
            "next_cursor": None,
        }

    return read(app, q)


@router.get("/{pack}", summary="One pack in force, with its versions")
def get_policy(
    pack: str,
    app: App = Depends(get_app),
    now: datetime = Depends(get_now),
    _: Principal = Depends(get_principal),
) -> dict[str, Any]:
    def q(uow: Any) -> dict[str, Any]:
        book = PolicyBook.read(uow)
        body = pack_json(book.in_force(pack, now))
        body["versions"] = [
            {"version": p.version, "effective_from": p.effective_from.isoformat()}
            for p in book.by_pack[pack]
        ]
        return body

    return read(app, q)
