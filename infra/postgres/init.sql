-- Runs once, on an empty data directory. `eco2` is the application's database
-- (POSTGRES_DB); `test` is the one the test suite expects (tests/conftest.py).
CREATE DATABASE test;
