"""Participation grades and completion in the LMS gradebook: a per-program rubric computed
from what each person did (`rubric`, `facts`), an outbox of score changes (`services`) posted
through Assignment and Grade Services by a worker outside any request (`sync`, `commands`),
and the staff page `/grades` (`views`)."""
