"""``zgwcloud`` subcommands that talk to the control-plane API (onboard, list, suspend, resume, credentials)
with an API token: ``ZGW_API_URL`` (default: the control plane's public URL) and ``ZGW_API_TOKEN``."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any, TextIO

import httpx

COMMANDS = ("onboard", "list", "suspend", "resume", "deprovision", "credentials")


class ApiError(Exception):
    pass


def register(commands: Any) -> None:
    def common(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--url", default=None, help="Control-plane URL (env ZGW_API_URL).")
        parser.add_argument("--token", default=None, help="API token (env ZGW_API_TOKEN).")
        parser.add_argument("--json", action="store_true", help="Print JSON instead of text.")

    onboard = commands.add_parser("onboard", help="Onboard a municipality (and provision it).")
    common(onboard)
    onboard.add_argument("--name", required=True)
    onboard.add_argument("--gemeentecode", required=True, help="CBS code, 4 digits.")
    onboard.add_argument("--rsin", required=True)
    onboard.add_argument("--oin", default="")
    onboard.add_argument("--inhabitants", type=int, required=True)
    onboard.add_argument("--plan", required=True)
    onboard.add_argument("--slug", default=None)
    onboard.add_argument("--tier", default="shared", choices=["shared", "dedicated"])
    onboard.add_argument("--idempotency-key", default=None, help="Repeat safely: same key, same job.")
    onboard.add_argument("--wait", action="store_true", help="Wait until provisioning finished.")

    listing = commands.add_parser("list", help="List municipalities.")
    common(listing)
    listing.add_argument("--status", default=None)

    for action in ("suspend", "resume", "deprovision"):
        parser = commands.add_parser(action, help=f"{action.title()} a municipality (slug or id).")
        common(parser)
        parser.add_argument("tenant")
        parser.add_argument("--idempotency-key", default=None)
        parser.add_argument("--wait", action="store_true")

    credentials = commands.add_parser("credentials", help="API credentials of a municipality.")
    common(credentials)
    actions = credentials.add_subparsers(dest="credentials_command", required=True)
    actions.add_parser("list").add_argument("tenant")
    create = actions.add_parser("create")
    create.add_argument("tenant")
    create.add_argument("--client-id", required=True)
    create.add_argument("--label", required=True)
    create.add_argument("--all", action="store_true", help="heeft_alle_autorisaties")
    create.add_argument(
        "--autorisatie",
        action="append",
        default=[],
        help='JSON object, e.g. \'{"component": "nrc", "scopes": ["notificaties.consumeren"]}\' (repeatable).',
    )
    for name in ("rotate", "revoke"):
        sub = actions.add_parser(name)
        sub.add_argument("tenant")
        sub.add_argument("client_id")


def _client(args: argparse.Namespace, default_url: str) -> httpx.Client:
    url = args.url or os.environ.get("ZGW_API_URL") or default_url
    token = args.token or os.environ.get("ZGW_API_TOKEN")
    if not token:
        raise ApiError("no API token: pass --token or set ZGW_API_TOKEN (create one with POST /api/v1/tokens)")
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def _check(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        try:
            body = response.json()
        except ValueError:
            raise ApiError(f"HTTP {response.status_code}: {response.text[:500]}") from None
        params = "; ".join(f"{p['name']}: {p['reason']} ({p['code']})" for p in body.get("invalidParams", []))
        raise ApiError(f"HTTP {response.status_code} {body.get('code')}: {body.get('detail')} {params}".strip())
    return response.json() if response.content else None


def _tenant_id(client: httpx.Client, ref: str) -> str:
    for tenant in _check(client.get("/api/v1/tenants", params={"limit": 1000}))["results"]:
        if ref in (tenant["slug"], tenant["id"], tenant["gemeentecode"]):
            return str(tenant["id"])
    raise ApiError(f"unknown municipality {ref!r}")


def _wait(client: httpx.Client, job: dict[str, Any], out: TextIO, timeout: float = 600) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while job["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.5)
        job = _check(client.get(f"/api/v1/jobs/{job['id']}"))
        print(f"  {job['kind']}: {job['status']} {job['progress']}% {job['current_step']}", file=out)
    return job


def run(args: argparse.Namespace, client: httpx.Client, out: TextIO = sys.stdout) -> int:
    """Run one API subcommand with ``client`` (already authenticated); returns the exit code."""
    result: Any
    if args.command == "onboard":
        body = {key: getattr(args, key) for key in ("name", "gemeentecode", "rsin", "oin", "inhabitants", "plan",
                                                    "slug", "tier")}  # fmt: skip
        headers = {"Idempotency-Key": args.idempotency_key} if args.idempotency_key else {}
        result = _check(client.post("/api/v1/tenants", json=body, headers=headers))
        if args.wait and result["job"]:
            result["job"] = _wait(client, result["job"], out)
        job = result["job"] or {}
        text = f"{result['tenant']['slug']} ({result['tenant']['id']}): job {job.get('id')} {job.get('status')}"
    elif args.command == "list":
        params = {"status": args.status} if args.status else {}
        result = _check(client.get("/api/v1/tenants", params={**params, "limit": 1000}))
        text = "\n".join(
            f"{t['slug']:<24} {t['gemeentecode']}  {t['status']:<15} {t['tier']:<10} {t['runtime_version'] or '-':<8} "
            f"{t['api_base_url']}"
            for t in result["results"]
        )
    elif args.command in ("suspend", "resume", "deprovision"):
        headers = {"Idempotency-Key": args.idempotency_key} if args.idempotency_key else {}
        tenant_id = _tenant_id(client, args.tenant)
        result = _check(client.post(f"/api/v1/tenants/{tenant_id}/{args.command}", headers=headers))
        if args.wait:
            result = _wait(client, result, out)
        text = f"job {result['id']} {result['kind']} {result['status']}"
    else:
        result, text = _credentials(args, client)
    print(json.dumps(result, indent=2) if args.json else text, file=out)
    failed = isinstance(result, dict) and (result.get("status") == "failed" or (result.get("job") or {}).get(
        "status") == "failed")  # fmt: skip
    return 1 if failed else 0


def _credentials(args: argparse.Namespace, client: httpx.Client) -> tuple[Any, str]:
    tenant_id = _tenant_id(client, args.tenant)
    base = f"/api/v1/tenants/{tenant_id}/credentials"
    if args.credentials_command == "list":
        result = _check(client.get(base))
        return result, "\n".join(f"{c['client_id']:<32} {c['status']:<8} {c['label']}" for c in result["results"])
    if args.credentials_command == "create":
        try:
            grants = [json.loads(a) for a in args.autorisatie]
        except json.JSONDecodeError as exc:
            raise ApiError(f"--autorisatie is not valid JSON: {exc}") from None
        body = {"client_id": args.client_id, "label": args.label, "heeft_alle_autorisaties": args.all,
                "autorisaties": grants}  # fmt: skip
        result = _check(client.post(base, json=body))
        return result, f"client_id: {args.client_id}\nsecret:    {result['secret']}\n(the secret is shown only now)"
    credential = next((c for c in _check(client.get(base))["results"] if c["client_id"] == args.client_id), None)
    if credential is None:
        raise ApiError(f"unknown client_id {args.client_id!r}")
    result = _check(client.post(f"{base}/{credential['id']}/{args.credentials_command}"))
    if args.credentials_command == "rotate":
        return (
            result,
            f"client_id: {args.client_id}\nsecret:    {result['secret']}\n(previous secret still works "
            "for the overlap period)",
        )
    return result, f"{args.client_id} revoked"


def main(args: argparse.Namespace, default_url: str) -> int:
    try:
        with _client(args, default_url) as client:
            return run(args, client)
    except (ApiError, httpx.TransportError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
