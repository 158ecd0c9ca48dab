"""What the tests and the benchmarks share: the servers they run against, fresh databases
and vhosts, processes they start, fakes of outside services, test images (ADR 0016).

Never imported by the project's own packages (an import-linter contract).
"""
