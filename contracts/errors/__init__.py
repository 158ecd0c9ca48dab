"""The reply a query handler sends instead of an answer when it fails."""
