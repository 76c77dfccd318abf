"""``python -m bench <scenario> [options]``: run one benchmark; ``python -m bench`` lists them."""

from __future__ import annotations

import importlib
import sys

# scenario → module with a ``main(argv) -> int``
SCENARIOS: dict[str, str] = {
    "backups": "bench.backups",
    "billing-month-close": "bench.billing_month_close",
    "documenten-transfer": "bench.documenten_transfer",
    "notificaties-delivery": "bench.notificaties_delivery",
    "zaken-api": "bench.zaken_api",
    "onboarding": "bench.onboarding",
    "upgrade-campaign": "bench.upgrade_campaign",
    "kubernetes": "bench.kubernetes",
    "usage-ingestion": "bench.usage_ingestion",
    "metering-overhead": "bench.metering_overhead",
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in SCENARIOS:
        print("usage: python -m bench <scenario> [options]\nscenarios:")
        for name, module in sorted(SCENARIOS.items()):
            print(f"  {name:28} ({module})")
        return 0 if not argv else 2
    module = importlib.import_module(SCENARIOS[argv[0]])
    return int(module.main(argv[1:]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
