"""Backups, restores, restore drills and exports of tenants (database dump + document objects, encrypted)."""
