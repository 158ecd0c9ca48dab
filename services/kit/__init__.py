"""The shape every domain service shares, written once: its coded error, the table that
turns its handlers into a subscription, its PostgreSQL store's transaction, and the
best-effort Redis cache in front of it (`cache`).

A domain imports this package; this package imports no domain (import-linter checks both).
"""
