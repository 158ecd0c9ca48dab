"""Scan pipeline contracts: a photo in, progress events, a classification and a result out."""
