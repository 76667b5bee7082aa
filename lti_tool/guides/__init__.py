"""Conversation guides: a built-in library copied into each program, which staff edit, order
and attach to weeks, and which a pair picks as a meeting's agenda and marks covered."""
