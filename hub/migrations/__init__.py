"""The hub's schema migrations (Alembic). `hub.db.create_tables` upgrades every database to
the newest revision when the hub starts; a database from before migrations (tables made by
create_all at the first release) is recognised and stamped at the baseline first."""
