"""Tracking providers' webhooks: one module per provider, each with the interface of base.py."""

import importlib
from types import ModuleType

ADAPTERS = {
    "aftership": "premura.shipping.adapters.aftership",
    "shippo": "premura.shipping.adapters.shippo",
    "easypost": "premura.shipping.adapters.easypost",
    "generic": "premura.shipping.adapters.generic",
}


def adapter_for(provider: str) -> ModuleType:
    """The module of `provider` (a TrackingProvider value), imported on first use."""
    return importlib.import_module(ADAPTERS[provider])
