"""One module per page; each registers its routes when ``register`` is called."""
