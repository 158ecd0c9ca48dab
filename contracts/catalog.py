"""The registry of every published contract, built once by whoever reads messages."""

from contracts.errors import v1 as errors_v1
from contracts.registry import Registry
from contracts.scan import v1 as scan_v1
from contracts.system import v1 as system_v1


def build_registry() -> Registry:
    registry = Registry().register(
        errors_v1.ErrorReply,
        scan_v1.ScanRequested,
        scan_v1.ImagePrepared,
        scan_v1.ScanProgress,
        scan_v1.ScanClassified,
        scan_v1.ScanFailed,
        system_v1.Ping,
        system_v1.Pong,
    )
    return registry.validate()
