"""Alerting: alerts (acknowledge, resolve), rules, notification channels, silences, the evaluator's status."""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from monitorx.api.alert_models import (
    AlertAction,
    AlertDetail,
    AlertingStatus,
    AlertList,
    AlertOut,
    ChannelCreated,
    ChannelIn,
    ChannelList,
    ChannelOut,
    ChannelPatch,
    DeliveryList,
    DeliveryOut,
    HistoryOut,
    RuleIn,
    RuleList,
    RuleOut,
    RulePatch,
    SilenceIn,
    SilenceList,
    SilenceOut,
    SilencePatch,
)
from monitorx.api.errors import ERROR_RESPONSES
from monitorx.api.security import require, services
from monitorx.services.alerting.instances import Alert
from monitorx.services.alerting.rules import Rule
from monitorx.services.alerting.service import AlertingService
from monitorx.services.alerting.silences import Silence
from monitorx.services.keys import Principal

router = APIRouter(prefix="/api/v1", tags=["alerting"], responses=ERROR_RESPONSES)
Id = Annotated[int, Path(ge=1, le=2**62)]
_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {**ERROR_RESPONSES[422], "description": "Conflicts with the current state"}
}
State = Literal["pending", "firing", "resolved", "inactive"]


def _alerting(request: Request) -> AlertingService:
    return services(request).alerting


def _rule_out(r: Rule) -> RuleOut:
    return RuleOut.model_validate({k: v for k, v in asdict(r).items() if k not in ("project_id", "model_id")})


def _alert_out(a: Alert, silenced_by: list[int]) -> dict[str, Any]:
    out = {k: v for k, v in asdict(a).items() if k != "project_id"}
    out["silenced_by"] = silenced_by
    return out


def _silenced_by(svc: AlertingService, project_id: int, alerts: list[Alert]) -> dict[int, list[int]]:
    now = time.time()
    active = svc.silences.active([project_id], now).get(project_id, [])
    return {a.id: [s.id for s in active if s.mutes(a.labels, now)] for a in alerts}


def _silence_out(s: Silence) -> SilenceOut:
    return SilenceOut.model_validate({**asdict(s), "status": s.status(time.time())})


# -- alerts ---------------------------------------------------------------------------------------
@router.get("/alerts", response_model=AlertList, summary="Alerts: pending and firing by default")
def list_alerts(
    request: Request,
    state: Annotated[list[State], Query(description="Repeatable; default pending and firing")] = [],  # noqa: B006
    rule_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
    principal: Principal = Depends(require("read")),
) -> AlertList:
    svc = _alerting(request)
    alerts = svc.alerts.find(principal.project_id, list(state) or ["pending", "firing"], rule_id, limit)
    silenced = _silenced_by(svc, principal.project_id, alerts)
    return AlertList.model_validate({"alerts": [_alert_out(a, silenced[a.id]) for a in alerts]})


@router.get("/alerts/{alert_id}", response_model=AlertDetail, summary="One alert, with its history")
def get_alert(request: Request, alert_id: Id, principal: Principal = Depends(require("read"))) -> AlertDetail:
    svc = _alerting(request)
    a = svc.alerts.get(principal.project_id, alert_id)
    history = [HistoryOut.model_validate(asdict(h)) for h in svc.alerts.history(a.id)]
    out = _alert_out(a, _silenced_by(svc, principal.project_id, [a])[a.id])
    return AlertDetail.model_validate({**out, "history": history})


@router.post(
    "/alerts/{alert_id}/acknowledge",
    response_model=AlertOut,
    responses=_CONFLICT,
    summary="Acknowledge a pending or firing alert (no more reminders while it fires)",
)
def acknowledge_alert(
    request: Request, alert_id: Id, body: AlertAction, principal: Principal = Depends(require("edit"))
) -> AlertOut:
    svc = _alerting(request)
    a = svc.alerts.acknowledge(principal.project_id, alert_id, principal.actor, body.comment, time.time())
    return AlertOut.model_validate(_alert_out(a, _silenced_by(svc, principal.project_id, [a])[a.id]))


@router.post(
    "/alerts/{alert_id}/resolve",
    response_model=AlertOut,
    summary="Resolve an alert by hand; it stays resolved until its condition clears and breaches again",
)
def resolve_alert(
    request: Request, alert_id: Id, body: AlertAction, principal: Principal = Depends(require("edit"))
) -> AlertOut:
    svc = _alerting(request)
    a = svc.alerts.resolve(principal.project_id, alert_id, principal.actor, body.comment, time.time())
    return AlertOut.model_validate(_alert_out(a, _silenced_by(svc, principal.project_id, [a])[a.id]))


@router.get("/alerting/status", response_model=AlertingStatus, summary="This replica's evaluation loop")
def alerting_status(request: Request, principal: Principal = Depends(require("read"))) -> AlertingStatus:
    return AlertingStatus.model_validate(asdict(_alerting(request).status))


# -- rules ----------------------------------------------------------------------------------------
@router.get("/alert-rules", response_model=RuleList, summary="Alert rules, including each model's defaults")
def list_rules(
    request: Request,
    model: Annotated[str | None, Query(min_length=1, max_length=200, description="Only this model's rules")] = None,
    principal: Principal = Depends(require("read")),
) -> RuleList:
    return RuleList(rules=[_rule_out(r) for r in _alerting(request).rules.find(principal.project_id, model)])


@router.post("/alert-rules", status_code=201, response_model=RuleOut, responses=_CONFLICT, summary="Create a rule")
def create_rule(request: Request, body: RuleIn, principal: Principal = Depends(require("edit"))) -> RuleOut:
    return _rule_out(_alerting(request).rules.create(principal.project_id, body))


@router.get("/alert-rules/{rule_id}", response_model=RuleOut, summary="One rule")
def get_rule(request: Request, rule_id: Id, principal: Principal = Depends(require("read"))) -> RuleOut:
    return _rule_out(_alerting(request).rules.get(principal.project_id, rule_id))


@router.patch("/alert-rules/{rule_id}", response_model=RuleOut, responses=_CONFLICT, summary="Change a rule")
def update_rule(
    request: Request, rule_id: Id, body: RulePatch, principal: Principal = Depends(require("edit"))
) -> RuleOut:
    return _rule_out(_alerting(request).rules.update(principal.project_id, rule_id, body))


@router.delete("/alert-rules/{rule_id}", status_code=204, summary="Delete a rule and its alerts")
def delete_rule(request: Request, rule_id: Id, principal: Principal = Depends(require("edit"))) -> Response:
    _alerting(request).rules.delete(principal.project_id, rule_id)
    return Response(status_code=204)


# -- channels -------------------------------------------------------------------------------------
def _channel_out(svc: AlertingService, c: Any, secret: str | None = None) -> ChannelCreated:
    return ChannelCreated.model_validate({**svc.public_channel(c), "signing_secret": secret})


@router.get("/channels", response_model=ChannelList, summary="Notification channels (never their secrets)")
def list_channels(request: Request, principal: Principal = Depends(require("edit"))) -> ChannelList:
    svc = _alerting(request)
    return ChannelList.model_validate(
        {"channels": [svc.public_channel(c) for c in svc.channels.find(principal.project_id)]}
    )


@router.post(
    "/channels",
    status_code=201,
    response_model=ChannelCreated,
    responses=_CONFLICT,
    summary="Create a channel; a webhook's signing secret is shown this once",
)
def create_channel(
    request: Request, body: ChannelIn, principal: Principal = Depends(require("edit"))
) -> ChannelCreated:
    svc = _alerting(request)
    channel, secret = svc.channels.create(principal.project_id, body)
    return _channel_out(svc, channel, secret)


@router.get("/channels/{channel_id}", response_model=ChannelOut, summary="One channel (never its secrets)")
def get_channel(request: Request, channel_id: Id, principal: Principal = Depends(require("edit"))) -> ChannelOut:
    svc = _alerting(request)
    return ChannelOut.model_validate(svc.public_channel(svc.channels.get(principal.project_id, channel_id)))


@router.patch(
    "/channels/{channel_id}",
    response_model=ChannelCreated,
    responses=_CONFLICT,
    summary="Change a channel; secrets left out are kept; rotate_secret issues a new webhook secret",
)
def update_channel(
    request: Request, channel_id: Id, body: ChannelPatch, principal: Principal = Depends(require("edit"))
) -> ChannelCreated:
    svc = _alerting(request)
    channel, secret = svc.channels.update(principal.project_id, channel_id, body)
    return _channel_out(svc, channel, secret)


@router.delete("/channels/{channel_id}", status_code=204, summary="Delete a channel")
def delete_channel(request: Request, channel_id: Id, principal: Principal = Depends(require("edit"))) -> Response:
    _alerting(request).channels.delete(principal.project_id, channel_id)
    return Response(status_code=204)


@router.post(
    "/channels/{channel_id}/test",
    response_model=DeliveryList,
    summary="Send a test notification now (one attempt; rate-limited per channel)",
)
def test_channel(request: Request, channel_id: Id, principal: Principal = Depends(require("edit"))) -> DeliveryList:
    records = _alerting(request).test_channel(principal.project_id, channel_id, principal.actor)
    return DeliveryList(deliveries=[DeliveryOut.model_validate(asdict(d)) for d in records])


@router.get(
    "/channels/{channel_id}/deliveries",
    response_model=DeliveryList,
    summary="The delivery log: every attempt, newest first",
)
def channel_deliveries(
    request: Request,
    channel_id: Id,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    principal: Principal = Depends(require("edit")),
) -> DeliveryList:
    records = _alerting(request).deliveries(principal.project_id, channel_id, limit)
    return DeliveryList(deliveries=[DeliveryOut.model_validate(asdict(d)) for d in records])


# -- silences -------------------------------------------------------------------------------------
@router.get("/silences", response_model=SilenceList, summary="Silences, latest end first")
def list_silences(request: Request, principal: Principal = Depends(require("read"))) -> SilenceList:
    return SilenceList(silences=[_silence_out(s) for s in _alerting(request).silences.find(principal.project_id)])


@router.post("/silences", status_code=201, response_model=SilenceOut, summary="Silence alerts matching all matchers")
def create_silence(request: Request, body: SilenceIn, principal: Principal = Depends(require("edit"))) -> SilenceOut:
    return _silence_out(_alerting(request).silences.create(principal.project_id, body, principal.actor))


@router.get("/silences/{silence_id}", response_model=SilenceOut, summary="One silence")
def get_silence(request: Request, silence_id: Id, principal: Principal = Depends(require("read"))) -> SilenceOut:
    return _silence_out(_alerting(request).silences.get(principal.project_id, silence_id))


@router.patch(
    "/silences/{silence_id}", response_model=SilenceOut, summary="Move a silence's end, or change its comment"
)
def update_silence(
    request: Request, silence_id: Id, body: SilencePatch, principal: Principal = Depends(require("edit"))
) -> SilenceOut:
    return _silence_out(_alerting(request).silences.update(principal.project_id, silence_id, body))


@router.delete("/silences/{silence_id}", response_model=SilenceOut, summary="Expire a silence (its end becomes now)")
def expire_silence(request: Request, silence_id: Id, principal: Principal = Depends(require("edit"))) -> SilenceOut:
    return _silence_out(_alerting(request).silences.expire(principal.project_id, silence_id))
