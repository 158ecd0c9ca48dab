"""The AI worker's second task: writing 이코's answer to a chat message, as a journaled,
resumable stream (`task`), grounded on what `grounding` gathers over the bus, by a
`provider.ChatProvider` (`offline` beside it, `openai_stream`)."""
