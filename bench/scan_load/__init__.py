"""Scan pipeline under load: many concurrent scans through the whole system, against a fake
OpenAI-compatible provider with the production latencies, and the same model calls made
directly as the raw baseline, in one run.

Starts, as separate processes on real RabbitMQ (a fresh vhost, deleted at the end),
PostgreSQL (a fresh database, dropped at the end, `eco2 migrate`) and Redis (db 13,
flushed): the fake provider (`support.fake_openai`, vision 4.5 s and answer 4.8 s by
default), then `eco2 run` accounts, scan, recycling, character, storage (one process), ai
(one process, `ECO2_AI_PROVIDER=openai` on the fake) and gateway. A load process registers
a few users, opens one WebSocket per user, submits `--scans` photos at once (multipart
`POST /api/v1/scans`, each a distinct small JPEG with the hint "라벨 뗀 투명 페트병") and
follows every scan to its terminal event; every scan's final state is then checked with
`GET /api/v1/scans/{id}`.

Printed:
- completed scans and their share                          (target 100 %)
- end-to-end latency, submit to completed, p50/p95         (target p95 <= 12 s)
- the raw baseline: as many concurrent vision + answer call pairs made with httpx
  straight to the fake, p50/p95, and the ratio of the pipeline's p95 to it
- the AI worker's peak RSS over its idle RSS (after a warm-up scan), per in-flight scan
                                                           (target <= 100 KB)
- CPU seconds each process used during the load

    python -m bench.scan_load run [--scans N] [--users U] [--vision S] [--answer S] [--keep]

The other sub-commands are the processes `run` starts: `fake` (the provider), `raw` (the
baseline calls) and `load` (the scans).
"""
