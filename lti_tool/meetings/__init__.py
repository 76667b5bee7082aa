"""Meetings between a mentee and a mentor: the pure parts, free of Flask and the database.

- `localtime`: IANA zones checked, local wall-clock times turned into UTC instants (refusing
  times skipped or repeated by daylight saving, with a message saying why), and an instant
  shown in the viewer's zone with the other person's local time beside it.
- `overlap`: the concrete times on real dates when both people are free (their weekly
  availability, each in their own zone, with each date's offset), a mentor's open times, and
  the check that refuses a time in the past or one that overlaps a meeting someone already has.
- `recurrence`: weekly, two-weekly and monthly series, until a date or for a count (bounded),
  kept at the same wall-clock time in the organiser's zone, with cancelled and moved meetings.
- `links`: a fresh Jitsi Meet room per meeting, or a pasted Zoom/Teams/Meet/Webex link checked
  (https only), and the place of a meeting that is not a video call.
- `ics`: .ics files with the `icalendar` library: one file per meeting, iTIP invitations and
  cancellations that update the event in people's calendars, and a feed per person.

The web layer (models, services, views, forms) is meant to sit beside these modules and call
them; nothing here reads a request or a row.
"""
