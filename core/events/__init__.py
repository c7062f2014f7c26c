"""The transactional outbox and the relay that moves committed events to a Redis Stream."""
