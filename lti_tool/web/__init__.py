"""Web plumbing shared by every page: server-side sessions and the signed session token."""
