"""Push notifications: device tokens, senders (FCM, outbox) and delivery with retries.

Who gets what
    Phones register their FCM registration token per user and per device (PUT /api/v1/me/devices/{id}), with
    platform and language. `service.enqueue_to_user` writes one `notifications` row per device of the user,
    each later sent in that device's language; `service.enqueue_to_topic` writes one row per language topic
    (`unit-13666-vi`, `unit-13666-en`; see topics.py). A registration may carry the wards its person follows
    (`wards`); `service.enqueue_to_wards` writes one row per phone following any of some wards, in one
    statement (public warnings). All run in the caller's transaction.

Senders
    `fcm.FcmSender` (firebase-admin, FCM HTTP v1) when `SMARTCITY_FCM_CREDENTIALS_FILE` is set, otherwise
    `outbox_sender.OutboxPushSender`, which records the FCM v1 message it would have sent in `push_outbox`.

Statuses of a notification row
    pending  waiting for its first or next attempt (`next_attempt_at`).
    sent     FCM (or the outbox) accepted it; `message_id` and `sent_at` are set.
    failed   our side could not deliver: transient errors (UNAVAILABLE, INTERNAL, QUOTA_EXCEEDED, 429 and 5xx,
             network errors, no OAuth token, a sender that raised) on every one of `push_max_attempts` tries.
    dropped  it will never be delivered and retrying cannot help: the user has no device (NO_DEVICE), the
             device or its token is gone or now belongs to another account (TOKEN_GONE), FCM says the token is
             UNREGISTERED (the device row is deleted too), or FCM refuses the message or token for good
             (INVALID_ARGUMENT, SENDER_ID_MISMATCH, THIRD_PARTY_AUTH_ERROR...). `last_error` says which.

Retries
    The dispatcher claims due rows with SELECT ... FOR UPDATE SKIP LOCKED, counts the attempt and leases the
    row for LEASE_SECONDS (a dispatcher that dies mid-send leaves it to be claimed again: at least once).
    After the n-th transient failure the next attempt is due after
    `push_backoff_seconds * 2 ** (n - 1)`, times a jitter factor between 0.8 and 1.2, at least FCM's
    Retry-After when it sent one, and at most an hour; after `push_max_attempts` failures the row is failed.
    firebase-admin's own retries are switched off so this is the only retry policy.
"""
