"""Releases and upgrade campaigns: the release catalogue, tenants' releases and pins, wave upgrades with health
gates and automatic rollback."""
