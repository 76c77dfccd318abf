"""Who is acting: a logged-in user (session), an API token's user, a task or the CLI; and what a role may do."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from controlplane.accounts.models import Role, User


@dataclass(frozen=True)
class Actor:
    label: str  # e-mail of the user, or "system"
    role: Role | None
    user_id: uuid.UUID | None = None
    tenant_id: uuid.UUID | None = None  # the own tenant of a municipality admin
    via: str = "system"  # session, token, task, cli
    request_id: str = ""

    @classmethod
    def for_user(cls, user: User, via: str, request_id: str = "") -> Actor:
        return cls(user.email, user.role, user.id, user.tenant_id, via, request_id)

    @property
    def is_operator(self) -> bool:
        return self.role is Role.OPERATOR

    def sees_all_tenants(self) -> bool:
        return self.role in (Role.OPERATOR, Role.FINANCE)

    def may_see_tenant(self, tenant_id: uuid.UUID) -> bool:
        return self.sees_all_tenants() or (self.role is Role.MUNICIPALITY_ADMIN and self.tenant_id == tenant_id)

    def may_manage_tenant(self, tenant_id: uuid.UUID) -> bool:
        """Self-service on one tenant (credentials, maintenance window): operators and its own admins."""
        return self.is_operator or (self.role is Role.MUNICIPALITY_ADMIN and self.tenant_id == tenant_id)


SYSTEM = Actor("system", None, via="task")
