"""A small Flask lending library on SQLAlchemy's ``scoped_session``, tested with fixturekit."""
