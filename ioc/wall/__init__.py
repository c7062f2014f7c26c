"""The operations-centre wall page at /ioc and its front-end build."""
