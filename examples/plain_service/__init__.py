"""A plain-Python billing service (no web framework) on SQLAlchemy, tested with fixturekit."""
