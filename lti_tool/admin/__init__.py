"""Pages for the tool's own administrator: platform registrations and the tool's URLs."""
