"""The accounts domain: identities, passwords, sessions and tokens, OAuth sign-in, profiles.

`handlers` holds the registry table the composition root subscribes (group `accounts`);
`auth` and `profile` the handlers; `domain` the pure rules; `store` the SQL of schema
`accounts` (`schema/`); `sessions`, `tokens`, `passwords`, `oauth` and `revocations` the
pieces they use. Events leave through the transactional outbox (`journal.postgres.outbox`).
See ADR 0006.
"""
