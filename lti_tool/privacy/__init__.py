"""Privacy: a person downloads what Pairwise holds about them, staff erase a person's data in
their course on request, and programs may have their pairs' private writing removed some days
after they end (retention)."""
