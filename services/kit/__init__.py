"""The shape every domain service shares, written once: its coded error, the table that
turns its handlers into a subscription, and its PostgreSQL store's transaction.

A domain imports this package; this package imports no domain (import-linter checks both).
"""
