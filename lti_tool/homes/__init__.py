"""Each person's home page in the launched program: the one page that gathers every feature
(matching, requests, pairs, check-ins, messages, stories for a participant; the roster,
disputes and next steps for staff), so it sits above them all and no feature imports another
to build it."""
