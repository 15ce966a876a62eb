"""E-mail over SMTP: plain, STARTTLS or implicit TLS (SMTPS); a text and an HTML part.

The host is resolved and checked once (see ``ssrf``) and the connection goes to that address; the
name stays the TLS server name, so certificates are verified against what the user entered.
Reply codes 4xx and dropped connections are retried; 5xx, TLS and authentication failures are not.
"""

from __future__ import annotations

import contextlib
import smtplib
import socket
import ssl
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from monitorx.services.alerting.channels.base import Notification, Outcome, SendContext
from monitorx.services.alerting.channels.payload import html_body, text, title
from monitorx.services.alerting.ssrf import Refused, resolve


class _PinnedSMTP(smtplib.SMTP):
    """SMTP that connects to a checked address while keeping the host name (for STARTTLS)."""

    def __init__(self, address: str, host: str, timeout: float) -> None:
        self._address = address
        super().__init__(timeout=timeout)
        self._host = host  # starttls() checks the certificate against it; connect() does not set it

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return socket.create_connection((self._address, port), timeout, self.source_address)


class _PinnedSMTPS(smtplib.SMTP_SSL):
    def __init__(self, address: str, host: str, timeout: float, context: ssl.SSLContext) -> None:
        self._address = address
        super().__init__(timeout=timeout, context=context)
        self._host = host

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        raw = socket.create_connection((self._address, port), timeout, self.source_address)
        return self.context.wrap_socket(raw, server_hostname=host)


def _one_line(s: str) -> str:
    return " ".join(s.split())


def message(n: Notification, config: dict[str, Any]) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = _one_line(title(n))[:250]
    msg["From"] = config["from_addr"]
    msg["To"] = ", ".join(config["to"])
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(idstring=uuid.uuid4().hex[:12], domain="monitorx")
    msg["X-MonitorX-Notification"] = n.id
    msg.set_content(text(n))
    msg.add_alternative(html_body(n), subtype="html")
    return msg


def send(n: Notification, config: dict[str, Any], secrets: dict[str, Any], ctx: SendContext) -> Outcome:
    host, port, security = str(config["host"]), int(config["port"]), config.get("security", "starttls")
    try:
        address = resolve(host, port, ctx.allow)
    except Refused as exc:
        return Outcome(False, retryable=False, error=str(exc))
    tls = ssl.create_default_context()
    smtp: smtplib.SMTP = (
        _PinnedSMTPS(address, host, ctx.timeout_s, tls)
        if security == "tls"
        else _PinnedSMTP(address, host, ctx.timeout_s)
    )
    try:
        smtp.connect(host, port)
        smtp.ehlo()
        if security == "starttls":
            smtp.starttls(context=tls)
            smtp.ehlo()
        if config.get("username"):
            smtp.login(str(config["username"]), str(secrets.get("password") or ""))
        refused = smtp.send_message(message(n, config))
        reply = "accepted" + (f"; refused: {sorted(refused)}" if refused else "")
        smtp.quit()
        return Outcome(True, status=250, response=reply)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [c for c, _ in exc.recipients.values()]
        transient = all(400 <= c < 500 for c in codes)
        return Outcome(
            False, retryable=transient, status=codes[0] if codes else None, error=f"recipients refused: {exc}"
        )
    except smtplib.SMTPResponseException as exc:
        detail = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return Outcome(
            False, retryable=400 <= exc.smtp_code < 500, status=exc.smtp_code, error=f"SMTP {exc.smtp_code}: {detail}"
        )
    except ssl.SSLError as exc:
        return Outcome(False, retryable=False, error=f"TLS: {exc}")
    except smtplib.SMTPNotSupportedError as exc:
        return Outcome(False, retryable=False, error=f"the server does not offer it: {exc}")
    except (OSError, smtplib.SMTPException) as exc:
        return Outcome(False, retryable=True, error=f"{type(exc).__name__}: {exc}")
    finally:
        with contextlib.suppress(OSError):
            smtp.close()
