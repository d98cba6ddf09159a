"""The kinds of event the audit log knows (services.admin.audit), with the words an
administrator reads; here, free of the database, so that ``stocktake audit --help`` lists
them without loading the store."""

from __future__ import annotations

# Every action the log knows, with the words an administrator reads.
ACTIONS: dict[str, str] = {
    "sign_in": "signed in",
    "sign_in_failed": "failed to sign in",
    "sign_in_refused": "sign-in refused (too many failures)",
    "user_created": "account created",
    "role_changed": "role or scope changed",
    "user_disabled": "account disabled",
    "user_enabled": "account enabled",
    "password_set": "password set",
    "token_created": "API token made",
    "token_revoked": "API token revoked",
    "token_refused": "API token refused (beyond its account's powers)",
    "model_loaded": "model loaded",
    "alert_reviewed": "alert reviewed (explained, confirmed or reopened)",
    "mail_address_set": "e-mail address or reminders set",
    "mail_address_removed": "e-mail address removed",
    "commitments_loaded": "commitments loaded",
    "commitment_status_set": "commitment's status changed",
    "intensity_set": "priority's intensity changed",
    "review_changed": "priority review commissioned, reported, followed up or closed",
}
