"""Who does something: a citizen, staff, an admin, or a system actor (an API key, a feed, the
scheduler). Actions check the actor's role here, not in the interface that called them."""

from __future__ import annotations

from dataclasses import dataclass

from storage.models import Role
from storage.refs import public_ref


class Forbidden(Exception):
    """The actor's role does not allow the action. `needed` is the role it takes."""

    def __init__(self, needed: Role) -> None:
        super().__init__(f"needs the {needed.value} role")
        self.needed = needed


@dataclass(frozen=True, slots=True)
class Actor:
    role: Role
    citizen_id: int | None = None  # None for a system actor
    system: str | None = None  # e.g. "open311:<key name>", "feed:<id>", "scheduler"
    bodies: frozenset[str] | None = None
    """The codes of the bodies a staff member works for, when the caller knows them; None: read
    from the database when a rule needs them (bot/domain/bodies.py `actor_bodies`)."""

    @classmethod
    def person(cls, citizen_id: int, role: Role, bodies: frozenset[str] | None = None) -> Actor:
        return cls(role=role, citizen_id=citizen_id, bodies=bodies)

    @classmethod
    def machine(cls, name: str, role: Role = Role.STAFF) -> Actor:
        """A system actor acting with `role`'s rights (an API key files as a citizen would)."""
        return cls(role=role, system=name)

    @property
    def ref(self) -> str:
        """How the audit log names the actor: a public ref, never a name."""
        if self.citizen_id is not None:
            return public_ref(self.citizen_id)
        return self.system or "system"

    def at_least(self, role: Role) -> bool:
        return self.role.at_least(role)

    def require(self, role: Role) -> None:
        if not self.role.at_least(role):
            raise Forbidden(role)
