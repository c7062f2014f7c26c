"""Events: the transactional outbox (outbox.emit), the relay that moves committed events to a Redis Stream
(relay), the stream's format (stream), who may receive what (access), and announcements, the first product
events."""
