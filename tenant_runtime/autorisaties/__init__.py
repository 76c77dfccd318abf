"""Autorisaties API 1.0: which applications may do what, per component, type and confidentiality."""
