"""Routes incoming messages to handlers: commands, buttons, conversation states, events.

Routers include routers (like aiogram's). Resolution order for one message:
a command → its command route; a button → the route of its payload's prefix (the part before
the first ':'); anything else → the route of the current conversation state for that kind,
then the route for the kind itself. The role a route needs is checked by the dispatcher.

A button route declared with `offered=True` takes only a payload the bot offered to that
address in the current step (the last buttons shown to it, saved with its conversation state):
its payload names something the bot chose for that citizen then (e.g. `rdup:<id>`, one of the
nearby reports), so anything else — an old keyboard, a payload typed as text on Viber, a forged
callback — resolves to no route, and the fallback answers that the button is no longer active.
Buttons that legitimately arrive from older messages (notifications, report cards, survey
invitations) are not declared so and check their own authorization.

A button route may be given as a typed payload class (bot/core/buttons.py): a payload of its
prefix that does not parse resolves to no route. A button route may also name the conversation
states it belongs to (`state=`, exact names or a family such as `"bc.*"`): tapped in any other
state, an old keyboard's button resolves to no route, and the fallback answers, once for every
conversation, that the button is no longer active.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.core.buttons import ButtonData
from bot.core.messages import IncomingMessage, Kind
from bot.i18n import N_
from storage.models import Role

if TYPE_CHECKING:
    from bot.core.context import Context

log = logging.getLogger(__name__)

Handler = Callable[[IncomingMessage, "Context"], Awaitable[None]]
# What someone without the role a route needs is told: one text per role, naming it.
REFUSALS = {Role.STAFF: N_("errors.not_allowed"), Role.ADMIN: N_("errors.admins_only")}
# Runs before routing, in registration order; returns True when it answered the message
# itself (routing then stops). E.g. showing a changed privacy notice first.
BeforeHook = Callable[[IncomingMessage, "Context"], Awaitable[bool]]


@dataclass(frozen=True, slots=True)
class Route:
    handler: Handler
    role: Role
    category: str  # "command" | "button" | "state" | "event"
    key: str  # the command, the payload prefix, the state name, or the kind
    kinds: frozenset[Kind] = frozenset()
    # Still served to a banned citizen (their data rights do not end with a ban).
    open_to_banned: bool = False
    # A button valid only if the bot offered its payload to this address in the current step.
    offered: bool = False
    # A button's typed payload: a payload that does not parse resolves to no route.
    data: type[ButtonData] | None = None
    # The conversation states a button belongs to (exact, or "prefix*"); empty: any state.
    states: tuple[str, ...] = ()
    # Also served in a group chat (IncomingMessage.chat): a team chat's commands and buttons.
    # Every other route ignores group messages.
    in_groups: bool = False

    def in_state(self, state: str | None) -> bool:
        if not self.states:
            return True
        if state is None:
            return False
        return any(state.startswith(s[:-1]) if s.endswith("*") else state == s for s in self.states)

    @property
    def name(self) -> str:
        return f"{self.category}:{self.key}"

    @property
    def refusal(self) -> str:
        """The i18n key of the answer to someone whose role is below the route's."""
        return REFUSALS.get(self.role, REFUSALS[Role.STAFF])


class Router:
    def __init__(self, name: str = "root") -> None:
        self.name = name
        self._own: list[Route] = []
        self._before: list[BeforeHook] = []
        self._children: list[Router] = []
        self._index: dict[tuple[str, str], Route] | None = None
        self._parent: Router | None = None

    # -- registration -------------------------------------------------------------------

    def command(
        self,
        *names: str,
        role: Role = Role.CITIZEN,
        open_to_banned: bool = False,
        in_groups: bool = False,
    ) -> Callable[[Handler], Handler]:
        keys = [n.lower().lstrip("/") for n in names]
        return self._register(
            "command", keys, role, open_to_banned=open_to_banned, in_groups=in_groups
        )

    def button(
        self,
        *families: str | type[ButtonData],
        role: Role = Role.CITIZEN,
        offered: bool = False,
        state: str | tuple[str, ...] = (),
        in_groups: bool = False,
    ) -> Callable[[Handler], Handler]:
        """A route for buttons of these payload prefixes or typed payload classes.
        `offered=True`: the payload must be one the bot offered in the current step;
        `state`: the conversation states (or "prefix*" families) the button belongs to;
        `in_groups`: also tapped in a group chat (the tapper's role counts)."""
        states = (state,) if isinstance(state, str) else tuple(state)

        def decorator(handler: Handler) -> Handler:
            for family in families:
                data = None if isinstance(family, str) else family
                key = family if isinstance(family, str) else family.prefix
                self._add(
                    Route(
                        handler=handler,
                        role=role,
                        category="button",
                        key=key,
                        offered=offered,
                        data=data,
                        states=states,
                        in_groups=in_groups,
                    )
                )
            return handler

        if not families:
            raise ValueError("a route needs at least one key")
        return decorator

    def state(
        self,
        *states: str,
        kinds: tuple[Kind, ...] = (Kind.TEXT,),
        role: Role = Role.CITIZEN,
    ) -> Callable[[Handler], Handler]:
        keys = [f"{s}|{k.value}" for s in states for k in kinds]
        return self._register("state", keys, role)

    def on(
        self,
        *kinds: Kind,
        role: Role = Role.CITIZEN,
        open_to_banned: bool = False,
        in_groups: bool = False,
    ) -> Callable[[Handler], Handler]:
        return self._register(
            "event",
            [k.value for k in kinds],
            role,
            open_to_banned=open_to_banned,
            in_groups=in_groups,
        )

    def before(self, hook: BeforeHook) -> BeforeHook:
        self._before.append(hook)
        return hook

    def include(self, router: Router) -> Router:
        if router._parent is not None:
            raise ValueError(f"router {router.name} is already included in {router._parent.name}")
        router._parent = self
        self._children.append(router)
        self._invalidate()
        self._build_index()  # fail early on conflicting routes
        return router

    def _register(
        self,
        category: str,
        keys: list[str],
        role: Role,
        *,
        open_to_banned: bool = False,
        in_groups: bool = False,
    ) -> Callable[[Handler], Handler]:
        if not keys:
            raise ValueError("a route needs at least one key")

        def decorator(handler: Handler) -> Handler:
            for key in keys:
                self._add(
                    Route(
                        handler=handler,
                        role=role,
                        category=category,
                        key=key,
                        open_to_banned=open_to_banned,
                        in_groups=in_groups,
                    )
                )
            return handler

        return decorator

    def _add(self, route: Route) -> None:
        self._own.append(route)
        self._invalidate()

    def _invalidate(self) -> None:
        node: Router | None = self
        while node is not None:
            node._index = None
            node = node._parent

    # -- lookup -------------------------------------------------------------------------

    def routes(self) -> Iterator[Route]:
        """Every route of this router and the routers it includes."""
        yield from self._own
        for child in self._children:
            yield from child.routes()

    def before_hooks(self) -> Iterator[BeforeHook]:
        yield from self._before
        for child in self._children:
            yield from child.before_hooks()

    def _build_index(self) -> dict[tuple[str, str], Route]:
        if self._index is None:
            index: dict[tuple[str, str], Route] = {}
            for route in self.routes():
                slot = (route.category, route.key)
                if slot in index:
                    raise ValueError(f"two handlers for {route.name}")
                index[slot] = route
            self._index = index
        return self._index

    def resolve(
        self, msg: IncomingMessage, state: str | None, offered: Collection[str] = ()
    ) -> Route | None:
        """The route for a message; `offered`, the payloads of the buttons last shown to the
        sender. A payload an `offered=True` route was not offered resolves to None."""
        index = self._build_index()
        if msg.kind is Kind.COMMAND and msg.command:
            return index.get(("command", msg.command.lower()))
        if msg.kind is Kind.BUTTON and msg.payload:
            route = index.get(("button", msg.payload.split(":", 1)[0]))
            if route is None:
                return None
            if route.offered and msg.payload not in offered:
                log.warning("refused a %s button that was not offered", route.key)
                return None
            if route.data is not None and route.data.parse(msg.payload) is None:
                log.warning("refused a %s button whose payload does not parse", route.key)
                return None
            if not route.in_state(state):
                return None
            return route
        if state:
            route = index.get(("state", f"{state}|{msg.kind.value}"))
            if route is not None:
                return route
        return index.get(("event", msg.kind.value))

    def owner(self, msg: IncomingMessage) -> Route | None:
        """The route a button's family belongs to, whether or not this tap resolves to it (a
        stale or unparsable payload): its role is checked before the fallback answers."""
        if msg.kind is Kind.BUTTON and msg.payload:
            return self._build_index().get(("button", msg.payload.split(":", 1)[0]))
        return None

    def commands(self) -> list[Route]:
        return [r for r in self.routes() if r.category == "command"]
