"""Every channel against a real receiver: an SMTP server, HTTP servers that verify, fail and redirect."""

from __future__ import annotations

import threading
import time
from typing import Any

import orjson
import pytest
from sqlalchemy import select
from werkzeug import Request, Response

from monitorx.errors import InvalidInput
from monitorx.services.alerting import AlertingService, ManualClock
from monitorx.services.alerting.secretbox import SecretBox
from monitorx.services.alerting.specs import ChannelIn
from monitorx.services.alerting.ssrf import AllowList, Refused, resolve
from monitorx.store import tables as t

from .conftest import Inbox, accuracy, channel, make_model, project, quality_rule, verify_signature, webhook_bodies


def fire(services: Any, alerting: AlertingService, clock: ManualClock, bad: bool = True) -> None:
    accuracy(services, services._mid, clock.now(), 0.8 if bad else 0.95)
    alerting.tick()
    clock.advance(60)


@pytest.fixture
def firing_rule(services: Any, alerting: AlertingService) -> None:
    services._mid = make_model(services)
    quality_rule(alerting, services, model="fraud", name="fraud accuracy")


def deliveries(alerting: AlertingService, services: Any, channel_id: int) -> list[tuple[int, str, int | None]]:
    return [(d.attempt, d.status, d.response_status) for d in alerting.deliveries(project(services), channel_id)][::-1]


def test_email_reaches_a_real_smtp_server_with_text_and_html(
    services: Any,
    alerting: AlertingService,
    clock: ManualClock,
    firing_rule: None,
    smtp_server: tuple[str, int, Inbox],
) -> None:
    host, port, inbox = smtp_server
    spec = {
        "name": "oncall mail",
        "config": {
            "kind": "email",
            "host": host,
            "port": port,
            "security": "none",
            "from_addr": "monitorx@example.org",
            "to": ["oncall@example.org", "ml@example.org"],
        },
        "group_wait_s": 0,
        "group_interval_s": 60,
    }
    ch, secret = alerting.channels.create(project(services), ChannelIn.model_validate(spec, strict=False))
    assert secret is None
    fire(services, alerting, clock)
    fire(services, alerting, clock, bad=False)
    assert len(inbox.messages) == 2
    first = inbox.messages[0]
    assert first["Subject"].startswith("[FIRING:1] fraud accuracy")
    assert first["To"] == "oncall@example.org, ml@example.org"
    parts = {p.get_content_type(): p.get_payload(decode=True).decode() for p in first.walk() if not p.is_multipart()}
    assert set(parts) == {"text/plain", "text/html"}
    assert "accuracy is 0.8" in parts["text/plain"] and "<h2>" in parts["text/html"]
    assert inbox.messages[1]["Subject"].startswith("[RESOLVED]")
    assert [d[1] for d in deliveries(alerting, services, ch.id)] == ["delivered", "delivered"]


def test_smtp_test_notification_and_a_refused_connection_is_logged(
    services: Any, alerting: AlertingService, smtp_server: tuple[str, int, Inbox]
) -> None:
    host, port, inbox = smtp_server
    spec = {
        "name": "mail",
        "config": {
            "kind": "email",
            "host": host,
            "port": port,
            "security": "none",
            "from_addr": "a@b.c",
            "to": ["x@y.z"],
        },
    }
    ch, _ = alerting.channels.create(project(services), ChannelIn.model_validate(spec, strict=False))
    (record,) = alerting.test_channel(project(services), ch.id, "key:test")
    assert record.status == "delivered" and record.reason == "test"
    assert "MonitorXTest" in inbox.messages[0]["Subject"]
    spec["name"], spec["config"]["port"] = "closed", 1  # type: ignore[index]
    closed, _ = alerting.channels.create(project(services), ChannelIn.model_validate(spec, strict=False))
    (record,) = alerting.test_channel(project(services), closed.id, "key:test")
    assert record.status == "failed" and "ConnectionRefused" in (record.error or "")


def test_the_webhook_body_is_alertmanager_v4_and_its_signature_verifies(
    services: Any, alerting: AlertingService, clock: ManualClock, firing_rule: None, httpserver: Any
) -> None:
    verified: list[bool] = []
    holder: dict[str, str] = {}

    def handler(request: Request) -> Response:
        ok = verify_signature(holder["secret"], request.headers, request.get_data())
        verified.append(ok)
        tampered = verify_signature(holder["secret"], request.headers, request.get_data() + b" ")
        assert not tampered
        return Response("ok" if ok else "bad signature", status=200 if ok else 401)

    httpserver.expect_request("/hook", method="POST").respond_with_handler(handler)
    ch, secret = channel(alerting, services, httpserver.url_for("/hook"), group_wait_s=0, group_interval_s=60)
    assert secret is not None and secret.startswith("whsec_")
    holder["secret"] = secret
    fire(services, alerting, clock)
    assert verified == [True]
    (body,) = webhook_bodies(httpserver)
    assert set(body) == {
        "receiver",
        "status",
        "alerts",
        "groupLabels",
        "commonLabels",
        "commonAnnotations",
        "externalURL",
        "version",
        "groupKey",
        "truncatedAlerts",
    }
    (alert,) = body["alerts"]
    assert alert["labels"]["alertname"] == "fraud accuracy" and alert["labels"]["model"] == "fraud"
    assert set(alert) == {"status", "labels", "annotations", "startsAt", "endsAt", "generatorURL", "fingerprint"}
    assert body["groupKey"] == '{}:{alertname="fraud accuracy", model="fraud"}'
    request, _ = httpserver.log[0]
    assert request.headers["webhook-id"].startswith("msg_")
    # A rotated secret signs from then on; the old one no longer verifies.
    from monitorx.services.alerting.specs import ChannelPatch

    _, rotated = alerting.channels.update(project(services), ch.id, ChannelPatch(rotate_secret=True))
    assert rotated is not None and rotated != secret
    holder["secret"] = rotated
    fire(services, alerting, clock, bad=False)
    assert verified == [True, True]


def test_a_receiver_failing_with_500_then_200_gets_exactly_one_delivery(
    services: Any, alerting: AlertingService, clock: ManualClock, firing_rule: None, httpserver: Any
) -> None:
    answers = iter([500, 503, 200, 200, 200])
    received: list[str] = []

    def handler(request: Request) -> Response:
        status = next(answers)
        if status == 200:
            received.append(request.headers["webhook-id"])
        return Response("nope" if status != 200 else "ok", status=status)

    httpserver.expect_request("/hook", method="POST").respond_with_handler(handler)
    ch, _ = channel(alerting, services, httpserver.url_for("/hook"), group_wait_s=0, group_interval_s=60)
    for _ in range(4):
        fire(services, alerting, clock)
    assert len(received) == 1
    log = deliveries(alerting, services, ch.id)
    assert log == [(1, "retrying", 500), (2, "retrying", 503), (3, "delivered", 200)]
    ids = {d.notification_id for d in alerting.deliveries(project(services), ch.id)}
    assert len(ids) == 1 and received == list(ids)  # retries keep the webhook-id


def test_a_4xx_is_not_retried_and_the_next_flush_tries_again(
    services: Any, alerting: AlertingService, clock: ManualClock, firing_rule: None, httpserver: Any
) -> None:
    httpserver.expect_oneshot_request("/hook", method="POST").respond_with_data("invalid_payload", status=400)
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    ch, _ = channel(alerting, services, httpserver.url_for("/hook"), group_wait_s=0, group_interval_s=120)
    fire(services, alerting, clock)
    assert deliveries(alerting, services, ch.id) == [(1, "failed", 400)]
    assert alerting.deliveries(project(services), ch.id)[0].response == "invalid_payload"
    fire(services, alerting, clock)  # 60 s later: before the next flush
    assert len(httpserver.log) == 1
    fire(services, alerting, clock)  # 120 s: the group is flushed again and delivered
    assert deliveries(alerting, services, ch.id) == [(1, "failed", 400), (1, "delivered", 200)]


@pytest.fixture
def threaded_server() -> Any:
    from pytest_httpserver import HTTPServer

    server = HTTPServer("127.0.0.1", threaded=True)  # a slow answer must not hold up the retry
    server.start()
    yield server
    server.clear()
    server.stop()


def test_a_timeout_is_retried(
    services: Any, clock: ManualClock, firing_rule: None, threaded_server: Any, alerting: AlertingService
) -> None:
    httpserver = threaded_server
    settings = services.settings.model_copy(
        update={"alert_allow_hosts": "127.0.0.1", "alert_retry_base_s": 0.01, "alert_send_timeout_s": 0.3}
    )
    quick = AlertingService(services.db, services.registry, services.query, settings, clock=clock)
    calls = []
    lock = threading.Lock()

    def handler(request: Request) -> Response:
        with lock:
            calls.append(time.monotonic())
            first = len(calls) == 1
        if first:
            time.sleep(1.0)
        return Response("ok")

    httpserver.expect_request("/hook", method="POST").respond_with_handler(handler)
    ch, _ = channel(quick, services, httpserver.url_for("/hook"), group_wait_s=0)
    fire(services, quick, clock)
    log = [(d.attempt, d.status) for d in quick.deliveries(project(services), ch.id)][::-1]
    assert log == [(1, "retrying"), (2, "delivered")]
    assert "timed out" in (quick.deliveries(project(services), ch.id)[1].error or "")
    quick.close()


def test_redirects_are_not_followed(
    services: Any, alerting: AlertingService, clock: ManualClock, firing_rule: None, httpserver: Any
) -> None:
    httpserver.expect_request("/hook", method="POST").respond_with_response(
        Response("", status=302, headers={"Location": httpserver.url_for("/elsewhere")})
    )
    ch, _ = channel(alerting, services, httpserver.url_for("/hook"), group_wait_s=0)
    fire(services, alerting, clock)
    assert [r.path for r, _ in httpserver.log] == ["/hook"]
    (d,) = alerting.deliveries(project(services), ch.id)
    assert d.status == "failed" and d.error == "redirects are not followed"


def test_slack_and_pagerduty_payloads(
    services: Any, alerting: AlertingService, clock: ManualClock, firing_rule: None, httpserver: Any
) -> None:
    httpserver.expect_request("/slack", method="POST").respond_with_data("ok")
    httpserver.expect_request("/pd", method="POST").respond_with_json({"status": "success"}, status=202)
    timers = {"group_wait_s": 0, "group_interval_s": 60}
    for spec in (
        {"name": "slack", "config": {"kind": "slack", "url": httpserver.url_for("/slack")}, **timers},
        {
            "name": "pd",
            "config": {"kind": "pagerduty", "routing_key": "R" * 32, "url": httpserver.url_for("/pd")},
            **timers,
        },
    ):
        alerting.channels.create(project(services), ChannelIn.model_validate(spec, strict=False))
    fire(services, alerting, clock)
    fire(services, alerting, clock, bad=False)
    slack = [orjson.loads(r.get_data()) for r, _ in httpserver.log if r.path == "/slack"]
    pd = [orjson.loads(r.get_data()) for r, _ in httpserver.log if r.path == "/pd"]
    assert slack[0]["text"].startswith("[FIRING:1]") and slack[0]["blocks"][0]["type"] == "header"
    assert slack[1]["text"].startswith("[RESOLVED]")
    assert [e["event_action"] for e in pd] == ["trigger", "resolve"]
    assert pd[0]["dedup_key"] == pd[1]["dedup_key"] and len(pd[0]["dedup_key"]) == 64
    assert pd[0]["routing_key"] == "R" * 32 and pd[0]["payload"]["source"] == "fraud"
    assert pd[0]["payload"]["severity"] == "warning"


def test_private_destinations_are_refused_unless_allowed(services: Any, alerting: AlertingService) -> None:
    strict = AlertingService(services.db, services.registry, services.query, services.settings)
    pid = project(services)
    for url in (
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest",
        "http://[::ffff:127.0.0.1]:80/",
        "http://localhost:9/",
    ):
        with pytest.raises(InvalidInput) as err:
            strict.channels.create(
                pid, ChannelIn.model_validate({"name": "x", "config": {"kind": "webhook", "url": url}})
            )
        assert err.value.errors[0]["loc"] == ["config", "url"]
    with pytest.raises(InvalidInput) as err:
        strict.channels.create(
            pid,
            ChannelIn.model_validate(
                {"name": "m", "config": {"kind": "email", "host": "192.168.1.5", "from_addr": "a@b.c", "to": ["d@e.f"]}}
            ),
        )
    assert err.value.errors[0]["loc"] == ["config", "host"]
    with pytest.raises(Refused, match="private, loopback"):
        resolve("localhost", 80, AllowList.parse(""))
    assert resolve("localhost", 80, AllowList.parse("127.0.0.0/8")) == "127.0.0.1"
    assert resolve("localhost", 80, AllowList.parse("localhost")) == "127.0.0.1"
    with pytest.raises(Refused, match="cannot resolve"):
        resolve("no-such-host.invalid", 80, AllowList.parse(""))
    # Allowed by the test service's allow-list (127.0.0.1) but not by the strict one: refused at send time.
    ch, _ = channel(alerting, services, "http://127.0.0.1:9/hook")
    refused = strict.dispatcher.deliver(strict.channels.get(pid, ch.id), _test_notification(), 3)
    assert refused is False
    (d,) = strict.deliveries(pid, ch.id)
    assert d.status == "failed" and d.attempt == 1 and "MONITORX_ALERT_ALLOW_HOSTS" in (d.error or "")


def _test_notification() -> Any:
    from monitorx.services.alerting.channels import Notification

    return Notification("msg_x", "c", "{}:{}", {}, "test", [], [], "")


def test_secrets_are_encrypted_at_rest_and_a_wrong_key_is_reported(
    services: Any, alerting: AlertingService, tmp_path: Any
) -> None:
    pid = project(services)
    spec = {
        "name": "mail",
        "config": {
            "kind": "email",
            "host": "127.0.0.1",
            "username": "bot",
            "password": "hunter2-very-secret",
            "from_addr": "a@b.c",
            "to": ["d@e.f"],
        },
    }
    ch, _ = alerting.channels.create(pid, ChannelIn.model_validate(spec))
    slack, _ = alerting.channels.create(
        pid,
        ChannelIn.model_validate(
            {"name": "s", "config": {"kind": "slack", "url": "https://hooks.slack.com/services/T/B/XYZsecret"}}
        ),
    )
    with services.db.read() as conn:
        rows = conn.execute(select(t.alert_channels)).all()
    dump = repr([tuple(r) for r in rows])
    assert "hunter2" not in dump and "XYZsecret" not in dump
    assert ch.config.get("password") is None and ch.secrets_set == ["password"]
    assert slack.config == {"kind": "slack"} and slack.secrets_set == ["url"]
    assert alerting.channels.secrets(ch) == {"password": "hunter2-very-secret"}
    other = SecretBox("another key", tmp_path)
    from monitorx.services.alerting.secretbox import SecretError

    with pytest.raises(SecretError, match="MONITORX_SECRET_KEY"):
        other.open(ch.sealed)


def _self_signed(tmp_path: Any) -> tuple[str, str]:
    """A certificate for localhost / 127.0.0.1 that the test then trusts (SSL_CERT_FILE)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(cert_path), str(key_path)


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_email_over_tls_logs_in_with_the_stored_password(
    services: Any, alerting: AlertingService, tmp_path: Any, monkeypatch: pytest.MonkeyPatch, security: str
) -> None:
    import ssl

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    from conftest import free_port

    cert, key = _self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", cert)  # the sender verifies certificates with the default trust store
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    logins: list[tuple[bytes, bytes]] = []
    inbox = Inbox()

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            from email import message_from_bytes

            inbox.handle_message(message_from_bytes(envelope.content))
            return "250 OK"

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"s3cr3t")

    port = free_port()
    tls_kwargs: dict[str, Any] = (
        {"tls_context": server_ctx, "require_starttls": True} if security == "starttls" else {"ssl_context": server_ctx}
    )
    # aiosmtpd offers AUTH on an implicit-TLS socket only with auth_require_tls off (it is TLS all along).
    controller = Controller(
        Handler(),
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticator,
        auth_require_tls=security == "starttls",
        **tls_kwargs,
    )
    controller.start()
    try:
        spec = {
            "name": security,
            "config": {
                "kind": "email",
                "host": "localhost",  # the name the certificate is checked against; 127.0.0.1 is connected to
                "port": port,
                "security": security,
                "username": "bot",
                "password": "s3cr3t",
                "from_addr": "monitorx@example.org",
                "to": ["oncall@example.org"],
            },
        }
        ch, _ = alerting.channels.create(project(services), ChannelIn.model_validate(spec))
        (record,) = alerting.test_channel(project(services), ch.id, "key:test")
        assert record.status == "delivered", record.error
        assert logins == [(b"bot", b"s3cr3t")]
        assert inbox.messages[0]["Subject"].startswith("[FIRING:1] MonitorXTest")
        monkeypatch.delenv("SSL_CERT_FILE")  # an untrusted certificate is refused, and not retried
        (record,) = alerting.test_channel(project(services), ch.id, "key:test")
        assert record.status == "failed" and "certificate verify failed" in (record.error or "")
    finally:
        controller.stop()
