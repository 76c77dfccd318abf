"""Reliable delivery — the sending side: one abonnement's due deliveries, over HTTP, within a time budget.

Used by both runners: the Celery task ``notificaties.deliver`` and the in-process delivery thread. Database work
runs in worker threads (``asyncio.to_thread``) so the event loop keeps every request in flight moving.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Concatenate, ParamSpec, TypeVar

import aiohttp
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tenant_runtime.config import RuntimeSettings
from tenant_runtime.logging import get_logger
from tenant_runtime.notificaties import delivery, metrics
from tenant_runtime.notificaties.callbacks import client_session, post_notification
from tenant_runtime.notificaties.delivery import Claimed, DeliveryPolicy, Outcome, Target

log = get_logger(__name__)

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class SenderReport:
    delivered: int = 0
    failed: int = 0
    busy: bool = False  # another sender holds this abonnement
    more: bool = False  # due work is left (the budget ran out, or it arrived meanwhile)


async def _db(engine: Engine, fn: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``fn(session, ...)`` on a fresh session in a worker thread."""

    def run() -> T:
        with Session(engine, expire_on_commit=False) as session:
            return fn(session, *args, **kwargs)

    return await asyncio.to_thread(run)


async def send_round(
    http: aiohttp.ClientSession,
    settings: RuntimeSettings,
    policy: DeliveryPolicy,
    target: Target,
    claimed: list[Claimed],
    deadline: float,
) -> list[Outcome]:
    """POST the claimed notifications: hoofdObjects in parallel (bounded), each hoofdObject's in order.

    A failure stops its hoofdObject's chain (order); reaching the circuit threshold or the lease deadline stops
    starting new requests. Whatever was not attempted is released for a later round."""
    semaphore = asyncio.Semaphore(policy.concurrency)
    outcomes: list[Outcome] = []
    state = {"failures": target.consecutive_failures, "tripped": False}

    async def run_chain(chain: list[Claimed]) -> None:
        for position, item in enumerate(chain):
            async with semaphore:
                if state["tripped"] or time.monotonic() > deadline:
                    outcomes.extend(Outcome(rest) for rest in chain[position:])
                    return
                started = datetime.now(UTC)
                result = await post_notification(http, settings, target.callback_url, target.auth, item.body)
            outcomes.append(Outcome(item, result, started))
            metrics.observe_attempt(result)
            if result.success:
                state["failures"] = 0
                continue
            state["failures"] = int(state["failures"]) + 1
            if int(state["failures"]) >= policy.circuit_threshold:
                state["tripped"] = True
            outcomes.extend(Outcome(rest) for rest in chain[position + 1 :])
            return

    await asyncio.gather(*(run_chain(chain) for chain in delivery.chains(claimed)))
    return outcomes


async def deliver_abonnement(
    engine: Engine,
    abonnement_id: int,
    settings: RuntimeSettings,
    *,
    http: aiohttp.ClientSession | None = None,
    budget_seconds: float = 10.0,
) -> SenderReport:
    """Deliver one abonnement's due notifications for up to ``budget_seconds`` as its only sender."""
    policy = DeliveryPolicy.from_settings(settings)
    token = await _db(engine, delivery.acquire_sender, abonnement_id, policy.lease_seconds)
    if token is None:
        return SenderReport(busy=True)
    own_http = http is None
    session = http or client_session(settings, connections=policy.concurrency)
    delivered = failed = 0
    started = time.monotonic()
    try:
        while time.monotonic() - started < budget_seconds:
            if not await _db(engine, delivery.extend_sender, abonnement_id, token, policy.lease_seconds):
                break
            round_token = uuid.uuid4()
            claimed_at = time.monotonic()
            target, claimed = await _db(engine, delivery.claim, abonnement_id, policy, round_token)
            if target is None or not claimed:
                break
            # No request may start after its lease could have run out (timeout before the end).
            deadline = claimed_at + policy.lease_seconds - policy.timeout - 1
            outcomes = await send_round(session, settings, policy, target, claimed, deadline)
            summary = await _db(engine, delivery.record, target, round_token, outcomes, policy)
            delivered += summary.delivered
            failed += summary.failed
            if summary.circuit_open:
                metrics.CIRCUIT_OPENED.inc()
                log.warning("notificaties_circuit_open", abonnement_id=abonnement_id, failures=summary.failed)
                break
    finally:
        if own_http:
            await session.close()
        try:
            await _db(engine, delivery.release_sender, abonnement_id, token)
        except Exception:  # the lease runs out by itself
            log.exception("notificaties_release_sender_failed", abonnement_id=abonnement_id)
    more = await _db(engine, delivery.has_ready_work, abonnement_id)
    return SenderReport(delivered=delivered, failed=failed, more=more)
