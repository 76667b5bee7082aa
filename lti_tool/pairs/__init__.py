"""Mentoring pairs: matching runs staff review and publish, and the relationships they start."""
