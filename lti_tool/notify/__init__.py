"""Notifications: features write them for their reader with `compose.tell` inside their own
transaction (an outbox table); a sender that runs outside web requests
(`flask --app wsgi notify send|worker`) applies each person's choices and the delivery rules
(off, one e-mail per hour, the daily digest, bundles), e-mails them over SMTP when MAIL_SERVER
is set (text and HTML, List-Unsubscribe), retries with backoff, and never sends one twice.
Without a mail server they stay in the outbox, which the sandbox LMS shows at /sandbox/outbox.

- `kinds`: every kind of notification, its topic, whether it is essential or urgent.
- `compose`: `tell`, `Message`, `Reader` (`readers`): a message in its reader's language and
  zone, as text and HTML, with a footer (the Notifications page, unsubscribing).
- `models`: `Notification` and its statuses, `Preference`, `Mailbox`.
- `services`: `enqueue`, `cancel`, `send_due`, `run_worker`, and reads for the outbox page.
- `delivery`: the rules for a due notification, the hour's reservation, bundle claims.
- `bundles`: an e-mail carrying several notifications (the hourly bundle, the daily digest).
- `preferences`: each person's choice per topic (each e-mail, daily digest, off).
- `unsubscribe`: the signed one-click unsubscribe link (RFC 8058).
- `mail`: the MIME message (text, HTML, iTIP text/calendar part, .ics) and the SMTP mailer.
- `views`: the Notifications page and the unsubscribe page (/notifications).
- `commands`: the `flask notify` CLI group.
"""
