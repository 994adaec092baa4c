"""A FastAPI + SQLModel app in the style of the full-stack FastAPI template.

A module-level engine, ``Session(engine)`` in a dependency, alembic migrations whose
``env.py`` reads the app's settings, JWT login signed with the app's ``SECRET_KEY``,
users and items CRUD, and a password-recovery mail over SMTP.
"""
