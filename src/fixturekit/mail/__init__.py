"""FakeMailer: an outbox of sent mail, reachable three ways, with assertions.

```python
from fixturekit.mail import FakeMailer

with FakeMailer() as mailer:
    mailer.send(to="ada@example.com", subject="Welcome", text="Hi! https://app.test/verify?t=1")
    mail = mailer.assert_sent(to="ada@example.com", subject="Welcome")
    assert mail.find_link("/verify") == "https://app.test/verify?t=1"
```

The three ways in all land in one `FakeMailer.outbox`:

1. direct: `FakeMailer.send` and `FakeMailer.send_message`, for apps that take a
   mailer object;
2. ``with mailer.smtp_server() as (host, port):`` a real SMTP server (aiosmtpd) on
   127.0.0.1, for apps configured with a host and a port (``tls="starttls"`` or
   ``"implicit"`` for apps configured with TLS);
3. ``with mailer.patch_smtplib():`` ``smtplib.SMTP`` and ``SMTP_SSL`` (and aiosmtplib,
   when installed) to any host talk to that server over a socket pair, for apps that
   hard-code their provider.

The SMTP ways need the ``smtp`` extra (aiosmtpd); the direct way needs nothing.

Refusals a direct send raises are smtplib's exceptions (``smtplib.SMTPRecipientsRefused``
and friends, as a real server's refusal gives) and `fixturekit.errors.FixturekitError`.
"""

from __future__ import annotations

from fixturekit.mail._addresses import address_problem
from fixturekit.mail._mailer import FakeMailer
from fixturekit.mail._message import Attachment, Headers, SentMail
from fixturekit.mail._patch import SMTPLibPatch
from fixturekit.mail._server import SMTPCaptureServer

__all__ = [
    "Attachment",
    "FakeMailer",
    "Headers",
    "SMTPCaptureServer",
    "SMTPLibPatch",
    "SentMail",
    "address_problem",
]
