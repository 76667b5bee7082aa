"""Notifications (meetings proposed, accepted, moved or cancelled, reminders, messages): an
outbox table that features fill with `services.enqueue` inside their own transaction, and a
sender that runs outside web requests (`flask --app wsgi notify send|worker`), e-mails them over
SMTP when MAIL_SERVER is set, retries with backoff, and never sends one twice. Without a mail
server they stay in the outbox, which the sandbox LMS shows at /sandbox/outbox.

- `models`: `Notification`, its statuses.
- `services`: `enqueue`, `cancel`, `send_due`, `run_worker`, and reads for the outbox page.
- `mail`: the MIME message (plain text, iTIP text/calendar part, .ics) and the SMTP mailer.
- `commands`: the `flask notify` CLI group.
"""
