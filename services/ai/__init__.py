"""The AI worker: the journaled scan pipeline (vision → rules → answer → reward) over a
provider port (`offline`, `openai`), with a classification cache and shared rate limits."""
