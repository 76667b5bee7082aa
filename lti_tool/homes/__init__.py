"""Each person's home page in the launched program: the one page that gathers every feature
(matching, requests, pairs, check-ins, messages, stories for a participant; the roster,
disputes and next steps for staff), so it sits above them all and no feature imports another
to build it. At its top, "What needs you" (needs.py), which staff also get as a weekly e-mail
(digest.py); and `flask program sweep` (commands.py), which runs every package's reminders and
that digest as they fall due."""
