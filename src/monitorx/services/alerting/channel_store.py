"""Notification channels: where alerts go, which alerts (matchers), how they are grouped and timed.

Secrets are split from the settings on the way in, encrypted (``secretbox``) and never returned;
a webhook's signing secret is generated here and handed out once, at creation or rotation.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from monitorx.errors import Conflict, InvalidInput, NotFound
from monitorx.services.alerting.channels.webhook import new_secret
from monitorx.services.alerting.secretbox import SecretBox, SecretError
from monitorx.services.alerting.silences import check_matchers
from monitorx.services.alerting.specs import REQUIRED_SECRETS, SECRET_FIELDS, ChannelIn, ChannelPatch
from monitorx.services.alerting.ssrf import AllowList, check_literal, split_url
from monitorx.store import tables as t
from monitorx.store.database import Database


@dataclass(frozen=True)
class Channel:
    id: int
    project_id: int
    name: str
    kind: str
    config: dict[str, Any]  # without secrets
    secrets_set: list[str]  # which secret fields hold a value (never the values)
    matchers: list[dict[str, str]]
    group_by: list[str]
    group_wait_s: float
    group_interval_s: float
    repeat_interval_s: float
    send_resolved: bool
    enabled: bool
    created_at: float
    updated_at: float
    sealed: str  # the encrypted secrets, for senders only


def _invalid(loc: list[str | int], why: str) -> InvalidInput:
    return InvalidInput(f"{'.'.join(map(str, loc))}: {why}", [{"loc": loc, "msg": why, "type": "value_error"}])


def _channel(r: Any) -> Channel:
    config = orjson.loads(r.config)
    return Channel(
        id=r.id,
        project_id=r.project_id,
        name=r.name,
        kind=r.kind,
        config={k: v for k, v in config.items() if k != "_secrets_set"},
        secrets_set=config.get("_secrets_set", []),
        matchers=orjson.loads(r.matchers),
        group_by=orjson.loads(r.group_by),
        group_wait_s=r.group_wait_s,
        group_interval_s=r.group_interval_s,
        repeat_interval_s=r.repeat_interval_s,
        send_resolved=bool(r.send_resolved),
        enabled=bool(r.enabled),
        created_at=r.created_at,
        updated_at=r.updated_at,
        sealed=r.secret,
    )


class ChannelStore:
    def __init__(self, db: Database, box: SecretBox, allow: AllowList) -> None:
        self.db = db
        self.box = box
        self.allow = allow

    def _destinations(self, kind: str, config: Mapping[str, Any], secrets: Mapping[str, Any]) -> None:
        """Refuse what can be refused before sending: bad URLs and private IP literals."""
        urls = {"webhook": ("url", config), "pagerduty": ("url", config), "slack": ("url", secrets)}
        if kind in urls:
            field, source = urls[kind]
            if source.get(field):
                _, host, _ = split_url(str(source[field]), ["config", field])
                check_literal(host, self.allow, ["config", field])
        if kind == "email":
            check_literal(str(config["host"]), self.allow, ["config", "host"])

    def _split(self, spec_config: Any, keep: Mapping[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
        config = spec_config.model_dump()
        kind = config["kind"]
        secrets = {f: config.pop(f) for f in SECRET_FIELDS[kind]}
        for f, v in list(secrets.items()):
            if v is None:
                if f in keep:
                    secrets[f] = keep[f]
                else:
                    del secrets[f]
        for f in REQUIRED_SECRETS.get(kind, ()):
            if f not in secrets:
                raise _invalid(["config", f], f"required for a {kind} channel")
        self._destinations(kind, config, secrets)
        return kind, config, secrets

    def _seal(self, config: dict[str, Any], secrets: dict[str, Any]) -> tuple[str, str]:
        public = {**config, "_secrets_set": sorted(secrets)}
        return orjson.dumps(public).decode(), self.box.seal(secrets)

    def create(self, project_id: int, spec: ChannelIn) -> tuple[Channel, str | None]:
        """The channel, and the webhook signing secret (shown only this once)."""
        kind, config, secrets = self._split(spec.config, {})
        check_matchers([m.model_dump() for m in spec.matchers], "matchers")
        signing = new_secret() if kind == "webhook" else None
        if signing:
            secrets["signing_secret"] = signing
        public, sealed = self._seal(config, secrets)
        now = time.time()
        try:
            with self.db.write() as conn:
                self._name_free(conn, project_id, spec.name)
                cid = conn.execute(
                    insert(t.alert_channels)
                    .values(
                        project_id=project_id,
                        name=spec.name,
                        kind=kind,
                        config=public,
                        secret=sealed,
                        matchers=orjson.dumps([m.model_dump() for m in spec.matchers]).decode(),
                        group_by=orjson.dumps(spec.group_by).decode(),
                        group_wait_s=float(spec.group_wait_s),
                        group_interval_s=float(spec.group_interval_s),
                        repeat_interval_s=float(spec.repeat_interval_s),
                        send_resolved=spec.send_resolved,
                        enabled=spec.enabled,
                        created_at=now,
                        updated_at=now,
                    )
                    .returning(t.alert_channels.c.id)
                ).scalar_one()
        except IntegrityError:
            raise Conflict(f"a channel named '{spec.name}' exists already") from None
        return self.get(project_id, int(cid)), signing

    @staticmethod
    def _name_free(conn: Any, project_id: int, name: str, but: int | None = None) -> None:
        found = conn.execute(
            select(t.alert_channels.c.id).where(
                t.alert_channels.c.project_id == project_id, t.alert_channels.c.name == name
            )
        ).scalar()
        if found is not None and found != but:
            raise Conflict(f"a channel named '{name}' exists already")

    def get(self, project_id: int, channel_id: int) -> Channel:
        with self.db.read() as conn:
            r = conn.execute(
                select(t.alert_channels).where(
                    t.alert_channels.c.project_id == project_id, t.alert_channels.c.id == channel_id
                )
            ).first()
        if r is None:
            raise NotFound(f"no channel with id {channel_id} in this project")
        return _channel(r)

    def find(self, project_id: int) -> list[Channel]:
        with self.db.read() as conn:
            rows = conn.execute(
                select(t.alert_channels)
                .where(t.alert_channels.c.project_id == project_id)
                .order_by(t.alert_channels.c.id)
            )
            return [_channel(r) for r in rows]

    def enabled(self) -> list[Channel]:
        with self.db.read() as conn:
            rows = conn.execute(select(t.alert_channels).where(t.alert_channels.c.enabled.is_(True)))
            return [_channel(r) for r in rows]

    def secrets(self, channel: Channel) -> dict[str, Any]:
        return self.box.open(channel.sealed)

    def update(self, project_id: int, channel_id: int, patch: ChannelPatch) -> tuple[Channel, str | None]:
        current = self.get(project_id, channel_id)
        values: dict[str, Any] = {}
        signing = None
        fields = patch.model_fields_set
        for key in fields - {"config", "rotate_secret"}:
            if getattr(patch, key) is None:
                raise _invalid([key], "may not be null")
        if patch.config is not None or patch.rotate_secret:
            try:
                old_secrets = self.box.open(current.sealed)
            except SecretError as exc:
                old_secrets = {}
                if patch.config is None:
                    raise _invalid(["rotate_secret"], exc.message) from None
            if patch.config is not None:
                if patch.config.kind != current.kind:
                    raise _invalid(["config", "kind"], "a channel's kind cannot change; create another channel")
                _, config, secrets = self._split(patch.config, old_secrets)
            else:
                config, secrets = dict(current.config), {k: v for k, v in old_secrets.items() if k != "signing_secret"}
            if current.kind == "webhook":
                signing = new_secret() if patch.rotate_secret else old_secrets.get("signing_secret")
                if signing is None:
                    raise _invalid(["rotate_secret"], "the stored signing secret cannot be read: rotate it")
                secrets["signing_secret"] = signing
                signing = signing if patch.rotate_secret else None
            elif patch.rotate_secret:
                raise _invalid(["rotate_secret"], "only webhook channels have a signing secret")
            values["config"], values["secret"] = self._seal(config, secrets)
        if patch.matchers is not None:
            check_matchers([m.model_dump() for m in patch.matchers], "matchers")
            values["matchers"] = orjson.dumps([m.model_dump() for m in patch.matchers]).decode()
        if patch.group_by is not None:
            values["group_by"] = orjson.dumps(patch.group_by).decode()
        for key in ("group_wait_s", "group_interval_s", "repeat_interval_s"):
            if getattr(patch, key) is not None:
                values[key] = float(getattr(patch, key))
        for key in ("name", "send_resolved", "enabled"):
            if getattr(patch, key) is not None:
                values[key] = getattr(patch, key)
        values["updated_at"] = time.time()
        try:
            with self.db.write() as conn:
                if patch.name is not None:
                    self._name_free(conn, project_id, patch.name, but=channel_id)
                conn.execute(update(t.alert_channels).where(t.alert_channels.c.id == channel_id).values(**values))
                if "matchers" in values or "group_by" in values:
                    # Groups are keyed by these: start over rather than report "resolved" for moved alerts.
                    conn.execute(delete(t.alert_groups).where(t.alert_groups.c.channel_id == channel_id))
        except IntegrityError:
            raise Conflict(f"a channel named '{patch.name}' exists already") from None
        return self.get(project_id, channel_id), signing

    def delete(self, project_id: int, channel_id: int) -> None:
        with self.db.write() as conn:
            gone = conn.execute(
                delete(t.alert_channels).where(
                    t.alert_channels.c.project_id == project_id, t.alert_channels.c.id == channel_id
                )
            ).rowcount
        if not gone:
            raise NotFound(f"no channel with id {channel_id} in this project")
