"""Alembic revisions, oldest first: 0001 feedback, 0002 audit and jwt_replay."""
