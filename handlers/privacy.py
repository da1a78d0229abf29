"""Citizens' data rights: /mydata sends everything stored about them as a JSON file; /forget,
after a confirmation, deletes it (reports and survey answers stay for the city, unlinked;
bot.domain.citizens.forget, which keeps staff and admins until their role is revoked).

Buttons: pf:yes | pf:no answer the /forget question.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from bot.core.buttons import ButtonData
from bot.core.context import Context
from bot.core.messages import Document, IncomingMessage, rows
from bot.core.router import Router
from bot.domain import citizens as domain
from bot.domain.errors import Refused
from handlers.menu import main_menu
from storage.repos import personal_data

log = logging.getLogger(__name__)

router = Router("privacy")

EXPORT_FORMAT = 1
MIME_TYPE = "application/json"


class ForgetButton(ButtonData, prefix="pf"):
    answer: str  # "yes" (forget me) or "no" (keep): the words old messages' buttons carry


FORGET, KEEP = ForgetButton("yes"), ForgetButton("no")


@router.command("mydata", open_to_banned=True)
async def on_mydata(msg: IncomingMessage, ctx: Context) -> None:
    assert ctx.citizen.id is not None
    data = await personal_data.export(ctx.session, citizen_id=ctx.citizen.id)
    assert data is not None  # the dispatcher loaded this citizen in this transaction
    for report in data["reports"]:
        category = ctx.services.city.category(report["category"])
        report["category_name"] = category.name(ctx.language) if category else None
    export: dict[str, Any] = {
        "about": {
            "what": "citizenbot personal data export",
            "format": EXPORT_FORMAT,
            "city": ctx.services.city.name(ctx.language),
            "generated_at": ctx.now.isoformat(),
        },
        **data,
    }
    day = ctx.now.astimezone(ctx.services.city.timezone).date().isoformat()
    document = Document(
        filename=f"citizenbot-mydata-{day}.json",
        data=json.dumps(export, ensure_ascii=False, indent=2).encode(),
        mime_type=MIME_TYPE,
    )
    ctx.reply(ctx.t("privacy.mydata"), document=document)


@router.command("forget")
async def on_forget(msg: IncomingMessage, ctx: Context) -> None:
    try:
        domain.check_forget(ctx.work.actor)
    except Refused as refusal:
        ctx.reply(ctx.t(refusal.key, **refusal.values))
        return
    ctx.reply(
        ctx.t("privacy.forget_confirm"),
        rows(
            FORGET.button(ctx.t("privacy.btn_forget")),
            KEEP.button(ctx.t("privacy.btn_keep")),
        ),
    )


@router.button(ForgetButton)
async def on_forget_answer(msg: IncomingMessage, ctx: Context) -> None:
    if ForgetButton.of(msg) != FORGET:
        ctx.reply(ctx.t("privacy.forget_kept"), main_menu(ctx))
        return
    try:
        done = await domain.forget(ctx.work)
    except Refused as refusal:
        ctx.reply(ctx.t(refusal.key, **refusal.values))
        return
    ctx.forgotten = True
    ctx.state.clear()
    _delete_files_after_commit(ctx, done.draft_photos)
    ctx.reply(
        ctx.t(
            "privacy.forgotten",
            identities=done.identities,
            subscriptions=done.subscriptions,
            followed=done.followed,
            reports=done.reports_anonymised,
            surveys=done.survey_responses_unlinked,
        )
    )


def _delete_files_after_commit(ctx: Context, names: tuple[str, ...]) -> None:
    store = ctx.services.photos
    if store is None or not names:
        return

    async def delete() -> None:
        for name in names:
            await store.delete(name)

    ctx.after_commit.append(delete)
