"""Neural-network activations (placeholder; filled in below by the activations family)."""

__all__: list[str] = []
