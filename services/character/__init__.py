"""The character domain: the collectible characters and who owns which.

`catalog` holds the 13 characters as data (seeded into schema `character` at start);
`domain` the pure rules (which character a middle category earns); `store` the SQL of
schema `character` (`schema/`); `handlers` the registry table the composition root
subscribes (group `character`): the catalog and owned queries, the per-scan grant, and
the `user.registered` / `user.deleted` events, applied through the inbox.
"""
