"""Besluiten API 1.1: besluiten and their relations to informatieobjecten."""
