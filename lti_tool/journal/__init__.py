"""A pair's recaps, action items and messages: what happens between meetings."""
