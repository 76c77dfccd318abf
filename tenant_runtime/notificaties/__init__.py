"""The embedded Notificaties API 1.0 (component ``nrc``) and the reliable delivery of every tenant's outbox."""
