"""Relationship health: warning signs per pair (pure, in signals.py) from the pair's meetings,
contact, agreement, goals and check-ins; check-in surveys; the staff dashboard."""
