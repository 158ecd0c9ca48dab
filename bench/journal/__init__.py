"""Journal benchmarks, each against a raw baseline in the same run; prints rates and ratios.

- worker: journaled worker (one no-op step) through RabbitMQ vs a plain aio-pika
  consume -> publish outcome -> ack loop (target >= 0.5)
- commit: journal begin+complete with group commit vs one commit per entry
- sync:   sync loop rows/s into PostgreSQL vs a plain asyncpg COPY of the same rows
  (target >= 0.8)

    python -m bench.journal [worker|commit|sync ...] [--tasks N] [--rows N]
"""
