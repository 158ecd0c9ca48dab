"""The chat domain: conversations with 이코, their messages and the state of each answer.

`handlers` serves the `chat.*` commands and applies the answers' terminal events and
`user.deleted` through the inbox; `domain` holds the pure rules (titles, history within
a token budget, cursors); `store` the SQL. The answers themselves are written by the AI
worker (`services.ai.chat`), which this service asks with `chat.reply_requested`.
"""
