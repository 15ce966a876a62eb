"""Administration: models, versions, environments, API keys, projects."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response

from monitorx.api.errors import ERROR_RESPONSES
from monitorx.api.models import (
    EnvironmentIn,
    EnvironmentList,
    KeyCreated,
    KeyIn,
    KeyList,
    KeyOut,
    ModelIn,
    ModelOut,
    ModelPatch,
    ProjectCreated,
    ProjectIn,
    VersionIn,
)
from monitorx.api.security import require, services
from monitorx.services.keys import Principal

router = APIRouter(prefix="/api/v1", tags=["admin"], responses=ERROR_RESPONSES)
ModelName = Annotated[str, Path(min_length=1, max_length=200)]
_CONFLICT: dict[int | str, dict[str, Any]] = {409: {**ERROR_RESPONSES[422], "description": "It exists already"}}


def _model_out(m: object) -> ModelOut:
    return ModelOut.model_validate(asdict(m), from_attributes=False)  # type: ignore[call-overload]


@router.post("/models", status_code=201, response_model=ModelOut, responses=_CONFLICT, summary="Register a model")
def create_model(request: Request, body: ModelIn, principal: Principal = Depends(require("admin"))) -> ModelOut:
    m = services(request).registry.create_model(
        principal.project_id, body.name, body.type, body.description, body.thresholds.as_dict()
    )
    return _model_out(m)


@router.patch("/models/{model}", response_model=ModelOut, summary="Change a model's type, description or thresholds")
def update_model(
    request: Request, model: ModelName, body: ModelPatch, principal: Principal = Depends(require("admin"))
) -> ModelOut:
    m = services(request).registry.update_model(
        principal.project_id,
        model,
        body.type,
        body.description,
        None if body.thresholds is None else body.thresholds.as_dict(),
    )
    return _model_out(m)


@router.post(
    "/models/{model}/versions",
    status_code=201,
    response_model=ModelOut,
    responses=_CONFLICT,
    summary="Register a version of a model",
)
def create_version(
    request: Request, model: ModelName, body: VersionIn, principal: Principal = Depends(require("admin"))
) -> ModelOut:
    reg = services(request).registry
    reg.add_version(principal.project_id, model, body.version, body.description)
    return _model_out(reg.get_model(principal.project_id, model))


@router.get("/environments", response_model=EnvironmentList, summary="The project's environments")
def list_environments(request: Request, principal: Principal = Depends(require("read"))) -> EnvironmentList:
    return EnvironmentList(environments=services(request).registry.list_environments(principal.project_id))


@router.post("/environments", status_code=201, response_model=EnvironmentList, summary="Register an environment")
def create_environment(
    request: Request, body: EnvironmentIn, principal: Principal = Depends(require("admin"))
) -> EnvironmentList:
    reg = services(request).registry
    reg.add_environment(principal.project_id, body.name)
    return EnvironmentList(environments=reg.list_environments(principal.project_id))


@router.get("/keys", response_model=KeyList, summary="The project's API keys (never their secrets)")
def list_keys(request: Request, principal: Principal = Depends(require("admin"))) -> KeyList:
    return KeyList(keys=[KeyOut(**asdict(k)) for k in services(request).keys.list(principal.project_id)])


@router.post("/keys", status_code=201, response_model=KeyCreated, summary="Create an API key; shown once")
def create_key(
    request: Request, body: KeyIn, response: Response, principal: Principal = Depends(require("admin"))
) -> KeyCreated:
    token, info = services(request).keys.create(principal.project_id, body.name, body.scopes, body.expires_at)
    return KeyCreated(token=token, **asdict(info))


@router.delete("/keys/{key_id}", status_code=204, summary="Revoke an API key")
def revoke_key(
    request: Request,
    key_id: Annotated[str, Path(min_length=1, max_length=16)],
    principal: Principal = Depends(require("admin")),
) -> Response:
    services(request).keys.revoke(principal.project_id, key_id)
    return Response(status_code=204)


@router.post(
    "/projects",
    status_code=201,
    response_model=ProjectCreated,
    responses=_CONFLICT,
    summary="Create a project (a tenant) and its first admin key",
)
def create_project(request: Request, body: ProjectIn, _: Principal = Depends(require("admin"))) -> ProjectCreated:
    svc = services(request)
    pid = svc.registry.create_project(body.name)
    token, info = svc.keys.create(pid, f"{body.name} admin", ["admin"])
    return ProjectCreated(name=body.name, admin_key=KeyCreated(token=token, **asdict(info)))
