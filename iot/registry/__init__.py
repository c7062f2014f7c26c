"""The device registry: devices, where they stand, their broker identities and the routes that manage them."""
