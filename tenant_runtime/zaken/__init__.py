"""Zaken API 1.5.1: zaken and everything recorded about them (statussen, resultaat, rollen, zaakobjecten, ...)."""
