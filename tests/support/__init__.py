"""Test support: what every test builds on (databases, apps, keys, platforms that sign
launches, signed-in clients, row factories). Test modules import from here, never from each
other."""
