"""``zgwcloud billing ...``: set up the Stripe catalogue, close a month, send meter events and reconcile, with
direct access to the control-plane database (what the beat does on its own, for operators and scripts)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the parser is built by every zgwcloud command, including the runtime's: import lazily
    from controlplane.billing.pricing import Period
    from controlplane.config import Settings


def register(commands: Any) -> None:
    billing = commands.add_parser("billing", help="Billing: Stripe set-up, month-close, meter events, reconciliation.")
    actions = billing.add_subparsers(dest="billing_command", required=True)
    actions.add_parser(
        "stripe-setup",
        help="Create in Stripe, when missing, a meter and a metered price (€ 0,01 per unit, lookup key "
        "<ZGW_STRIPE_NAME_PREFIX><component>) for every invoice component.",
    )
    periodic = {
        "close": "Freeze the invoices of a month that has ended (idempotent).",
        "reconcile": "Compare ledger, invoices, sent meter events and Stripe for a closed month.",
    }
    for name, text in periodic.items():
        action = actions.add_parser(name, help=text)
        action.add_argument("--period", required=True, help="The month, YYYY-MM.")
    actions.add_parser("send", help="Send the meter events that are due now.")


def _period(text: str) -> Period:
    from controlplane.billing.pricing import Period

    try:
        return Period.parse(text)
    except ValueError as exc:
        raise SystemExit(f"error: --period: {exc}") from None


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.billing_command == "stripe-setup":
        if not settings.stripe_enabled or not settings.stripe_api_key:
            print("error: set ZGW_STRIPE_ENABLED=true and ZGW_STRIPE_API_KEY first", file=sys.stderr)
            return 1
        from controlplane.billing.stripe_provider import StripeProvider

        for component, (meter, price) in StripeProvider(settings).ensure_catalog().items():
            print(f"{component:15} meter {meter}  price {price}")
        return 0
    from controlplane.billing import closing, reconcile, sync
    from controlplane.container import build_controlplane

    cp = build_controlplane(settings)
    try:
        if args.billing_command == "close":
            report = closing.close_period(cp, _period(args.period))
            print(f"{report.period}: {report.invoices_created} invoices created, {report.invoices_existing} existed, "
                  f"{report.submissions_created} meter events recorded ({report.seconds:.1f}s)")  # fmt: skip
            return 1 if report.busy else 0
        if args.billing_command == "send":
            sent = sync.send_due(cp)
            print(f"sent {sent.sent}, already at the provider {sent.already_there}, retrying {sent.retrying}, "
                  f"failed {sent.failed}, to review {sent.review}")  # fmt: skip
            return 0 if not (sent.failed or sent.review) else 1
        run_ = reconcile.reconcile_period(cp, _period(args.period))
        print(f"{args.period}: {run_.status.value}, {run_.checked} invoices, {run_.drifting} tenants with drift")
        for item in run_.items:
            if item.status.value not in ("ok", "not_sent"):
                print(f"  {item.tenant_id} {item.component}: {item.status.value} {item.detail}")
        return 0 if run_.drifting == 0 else 1
    finally:
        cp.close()
