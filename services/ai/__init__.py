"""The AI worker: classifies prepared photos through a provider (journaled, one checkpoint per
stage)."""
