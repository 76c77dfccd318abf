"""Notification delivery as the control plane shows it: each tenant's delivery log, its subscriptions' circuits
and manual resends, read from and sent to the runtime serving the tenant (its ``/beheer/notificaties`` API)."""
