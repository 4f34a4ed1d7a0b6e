"""The regulators, one module each: ``regulator_for(profile)`` finds one by its profile.

Adding a regulator is adding one module to this package that defines ``REGULATOR`` (and a
``tenancy.RegulatoryProfile`` choice so tenants can pick it).
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from deadlines.regulation.base import Regulator


class UnknownProfile(ValueError):
    """A regulatory profile with no regulator module."""


@cache
def regulators() -> dict[str, Regulator]:
    """Every regulator by profile code, from the modules of this package."""
    found: dict[str, Regulator] = {}
    for module in pkgutil.iter_modules(__path__):
        if module.name == "base":
            continue
        regulator = importlib.import_module(f"{__name__}.{module.name}").REGULATOR
        found[regulator.code] = regulator
    return found


def regulator_for(profile: str, *, payment_services: bool = False) -> Regulator:
    """The rules of ``profile`` for a complaint (the payment-services variant when asked and
    the regulator has one). Raises UnknownProfile for a profile with no module."""
    try:
        regulator = regulators()[profile]
    except KeyError:
        raise UnknownProfile(f"No regulator for the profile {profile!r}.") from None
    return regulator.for_complaint(payment_services=payment_services)
