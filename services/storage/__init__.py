"""The storage worker: checks, cleans and stores the photos people submit (journaled)."""
