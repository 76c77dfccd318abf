"""The ``tenant_meta`` table: facts about a tenant database, such as the slug it belongs to."""

from __future__ import annotations

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tenant_runtime.db.base import TenantBase


class TenantMeta(TenantBase):
    __tablename__ = "tenant_meta"

    key: Mapped[str] = mapped_column(String(63), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
