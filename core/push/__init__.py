"""Push notifications: device tokens, senders (FCM, outbox) and delivery with retries."""
